"""Reading the address register's published formats: the Kadaster's BAG 2.0 Extract (LVBAG XML in
nested ZIPs) and PDOK's BAG GeoPackage. Files only: no database here (services.bag_import
writes); the rules on a reference date are portal.domain.bag's."""
