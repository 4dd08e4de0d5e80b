"""A deterministic generator of BAG-shaped address CSVs (demo tooling, not used by the portal).

The rows look like an extract of the BAG (docs/rules.md §2.1–2.3): 16-digit ids of 4-digit
gemeentecode + object type (20 nummeraanduiding, 01 verblijfsobject) + 10-digit sequence,
postcodes ``1234 AB`` that never start with 0 and never use SA/SD/SS, one street side per
postcode, house numbers 1–250 with letters A–D or additions, floor areas 25–250 m² and
gebruiksdoelen that are mostly woonfunctie. Everything follows from ``random.Random(seed)``, so a
seed gives the same file on every machine; the shipped ``data/bag-demo.csv`` is checked against it.

Five real municipalities are modelled by hand (``DEMO_PROFILES``); ``synthetic_municipalities``
adds made-up ones ("Voorbeeldgemeente 001", codes GM9001…) on the postcode areas the real ones
leave free, for national-scale benchmarks.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

BAG_COLUMNS = (
    "nummeraanduiding_identificatie",
    "verblijfsobject_identificatie",
    "openbare_ruimte_naam",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats_naam",
    "gemeentecode",
    "oppervlakte",
    "gebruiksdoelen",
    "status",
)
MUNICIPALITY_COLUMNS = ("code", "name", "province", "region")
T = TypeVar("T")

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_BAG_CSV = DATA_DIR / "bag-demo.csv"
DEMO_MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"
DEMO_COUNT = 3000
DEMO_SEED = 2026

MAX_HOUSE_NUMBER = 250
# PostNL leaves out F, I, O, Q, U and Y; SA, SD and SS are never issued (docs/rules.md §2.2).
_POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
POSTCODE_PAIRS = tuple(
    a + b for a in _POSTCODE_LETTERS for b in _POSTCODE_LETTERS if a + b not in {"SA", "SD", "SS"}
)

# (gebruiksdoelen, weight): ~90 % woonfunctie, ~5 % logiesfunctie, ~5 % non-residential, a few
# with two uses. Values are sorted, as the importer stores them.
_USES = (
    (("woonfunctie",), 87.0),
    (("logiesfunctie",), 4.0),
    (("logiesfunctie", "woonfunctie"), 1.0),
    (("kantoorfunctie",), 2.0),
    (("winkelfunctie",), 1.5),
    (("industriefunctie",), 1.5),
    (("winkelfunctie", "woonfunctie"), 2.0),
    (("kantoorfunctie", "woonfunctie"), 1.0),
)
_STATUSES = (
    ("Verblijfsobject in gebruik", 94.0),
    ("Verblijfsobject in gebruik (niet ingemeten)", 2.0),
    ("Verbouwing verblijfsobject", 2.0),
    ("Verblijfsobject buiten gebruik", 1.0),
    ("Verblijfsobject gevormd", 1.0),
)
# Units at one house number: (letter, addition) lists; most numbers hold one address.
_UNIT_SETS = (
    ((("", ""),), 80.0),
    ((("", ""), ("A", "")), 3.0),
    ((("A", ""), ("B", "")), 2.0),
    ((("A", ""), ("B", ""), ("C", "")), 1.5),
    ((("A", ""), ("B", ""), ("C", ""), ("D", "")), 0.5),
    ((("", "1"), ("", "2")), 3.0),
    ((("", "1"), ("", "2"), ("", "3")), 3.0),
    ((("", "H"), ("", "I")), 2.0),
    ((("", "H"), ("", "I"), ("", "II")), 2.0),
    ((("", ""), ("", "BS")), 1.5),
    ((("", ""), ("A", ""), ("A", "1")), 1.5),
)
_MISSING_AREA_SHARE = 0.04

# Street names that fit any Dutch town, combined as prefix + suffix when a town's own list is full.
_STREET_PREFIXES = (
    "Acacia", "Berken", "Beuken", "Eiken", "Essen", "Iepen", "Linden", "Populieren", "Wilgen",
    "Kastanje", "Meidoorn", "Hazelaar", "Vlier", "Jasmijn", "Seringen", "Rozen", "Tulpen",
    "Narcissen", "Krokus", "Anjer", "Lelie", "Margriet", "Zonnebloem", "Klaver", "Heide",
    "Merel", "Lijster", "Vinken", "Meeuwen", "Zwaluw", "Kievit", "Reiger", "Specht", "Molen",
    "Kerk", "School", "Dorps", "Veld", "Weide", "Vaart", "Sluis", "Rembrandt", "Vermeer",
    "Frans Hals", "Jan Steen", "Van Gogh", "Mondriaan", "Vondel", "Bilderdijk", "Multatuli",
    "Huygens", "Tasman", "De Ruyter", "Piet Hein", "Kortenaer", "Oranje", "Nassau", "Juliana",
    "Beatrix", "Emma",
)  # fmt: skip
_STREET_SUFFIXES = (
    "straat", "laan", "weg", "plein", "hof", "pad", "singel", "kade", "dreef", "erf",
)  # fmt: skip
_GENERIC_STREETS = (
    "Kerkstraat", "Dorpsstraat", "Molenweg", "Schoolstraat", "Stationsweg", "Julianastraat",
    "Wilhelminastraat", "Beatrixlaan", "Prins Bernhardlaan", "Nieuwstraat", "Hoofdstraat",
    "Kastanjelaan", "Lindenlaan", "Eikenlaan", "Sportlaan", "Marktstraat", "Parallelweg",
    "Industrieweg", "Burgemeester de Vlugtlaan", "Emmastraat",
)  # fmt: skip
_PROVINCES = (
    "Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland", "Utrecht",
    "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg",
)  # fmt: skip


@dataclass(frozen=True)
class Town:
    """A woonplaats: its 4-digit postcode areas (inclusive) and its own street names."""

    name: str
    postcode_from: int
    postcode_to: int
    streets: tuple[str, ...]


@dataclass(frozen=True)
class MunicipalityProfile:
    """A municipality the generator can fill; ``weight`` is its relative share of addresses."""

    code: str
    name: str
    province: str
    region: str
    towns: tuple[Town, ...]
    weight: float = 20.0

    @property
    def gemeentecode(self) -> str:
        return self.code[2:]

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "province": self.province,
            "region": self.region,
        }


DEMO_PROFILES: tuple[MunicipalityProfile, ...] = (
    MunicipalityProfile(
        code="GM0344",
        name="Utrecht",
        province="Utrecht",
        region="",
        weight=25,
        towns=(
            Town("Utrecht", 3511, 3585, (
                "Oudegracht", "Nieuwegracht", "Lange Nieuwstraat", "Biltstraat",
                "Amsterdamsestraatweg", "Kanaalstraat", "Vleutenseweg", "Burgemeester Reigerstraat",
                "Wittevrouwenstraat", "Adriaen van Ostadelaan", "Croeselaan", "Maliebaan",
                "Twijnstraat", "Lange Elisabethstraat", "Voorstraat", "Merelstraat", "Kanaalweg",
                "Marnixlaan", "Zonstraat", "Zambesidreef", "Gangesdreef", "Amazonedreef",
                "Damstraat", "Cartesiusweg", "Thomas à Kempisweg",
            )),
        ),
    ),
    MunicipalityProfile(
        code="GM1783",
        name="Westland",
        province="Zuid-Holland",
        region="",
        weight=20,
        towns=(
            Town("Naaldwijk", 2671, 2674, (
                "Havenstraat", "Wilhelminastraat", "Hoogstraat", "Verspycklaan", "Zuidweg",
                "Molenstraat", "Geestweg", "Dijkweg", "Kerkstraat", "Emmastraat",
            )),
            Town("Honselersdijk", 2675, 2677, (
                "Dijkweg", "Zwethlaan", "Molenweg", "Kruisbroekweg", "Middelbroekweg",
                "Kerkstraat",
            )),
            Town("De Lier", 2678, 2680, (
                "Hoofdstraat", "Veilingweg", "Oostbuurtseweg", "Kerkstraat",
                "Burgemeester Crezeelaan", "Zijtwende",
            )),
            Town("Monster", 2681, 2684, (
                "Choorstraat", "Duinstraat", "Molenweg", "Poeldijkseweg", "Emmastraat",
                "Havenstraat", "Ter Heijdeseweg",
            )),
            Town("Poeldijk", 2685, 2687, (
                "Voorstraat", "Monsterseweg", "Julianastraat", "Kerkstraat", "Vredebestlaan",
            )),
            Town("Wateringen", 2688, 2690, (
                "Herenstraat", "Heulweg", "Pastoor van Hallstraat", "Bovendijk", "Dorpskade",
            )),
            Town("'s-Gravenzande", 2691, 2695, (
                "Langestraat", "Naaldwijkseweg", "Monsterseweg", "Nieuwe Kerkstraat",
                "Marktplein", "Jan Barendselaan", "Koningin Julianalaan", "Gasthuisweg",
            )),
        ),
    ),
    MunicipalityProfile(
        code="GM0983",
        name="Venlo",
        province="Limburg",
        region="Noord-Limburg",
        weight=20,
        towns=(
            Town("Venlo", 5911, 5920, (
                "Parade", "Lomstraat", "Vleesstraat", "Gasthuisstraat", "Kaldenkerkerweg",
                "Hogeweg", "Prinsessesingel", "Deken van Oppensingel", "Hagerhofweg",
                "Straelseweg", "Nijmeegseweg", "Eindhovenstraat", "Molenstraat", "Keulsepoort",
            )),
            Town("Blerick", 5921, 5929, (
                "Kloosterstraat", "Antoniuslaan", "Eindhovenseweg", "Maasbreeseweg",
                "Helmondsingel", "Groot Bollerweg", "Horsterweg", "Sint Annastraat",
            )),
            Town("Tegelen", 5930, 5936, (
                "Kerkstraat", "Grotestraat", "Industriestraat", "Roermondseweg", "Tichelstraat",
                "Kaldenkerkerweg", "Maalbekerweg",
            )),
            Town("Belfeld", 5937, 5941, (
                "Rijksweg", "Kerkstraat", "Maasstraat", "Prins Bernhardstraat", "Heldensedijk",
            )),
        ),
    ),
    MunicipalityProfile(
        code="GM0599",
        name="Rotterdam",
        province="Zuid-Holland",
        region="",
        weight=25,
        towns=(
            Town("Rotterdam", 3011, 3089, (
                "Coolsingel", "Witte de Withstraat", "Nieuwe Binnenweg", "West-Kruiskade",
                "Zwart Janstraat", "Beijerlandselaan", "Groene Hilledijk", "Putselaan",
                "Mathenesserlaan", "Schiedamseweg", "Vierambachtsstraat", "Bergweg",
                "Noordsingel", "Kleiweg", "Oudedijk", "Slinge", "Meent", "Goudsesingel",
                "Boezemsingel", "Dordtselaan", "Hillevliet", "Pleinweg", "Lange Hilleweg",
                "Katendrechtse Lagedijk", "Strevelsweg",
            )),
        ),
    ),
    MunicipalityProfile(
        code="GM1507",
        name="Horst aan de Maas",
        province="Limburg",
        region="Noord-Limburg",
        weight=10,
        towns=(
            Town("Horst", 5961, 5963, (
                "Steenstraat", "Kerkstraat", "Americaanseweg", "Noordsingel", "Westsingel",
                "Venrayseweg", "Gasthuisstraat", "Tienrayseweg",
            )),
            Town("Meterik", 5964, 5965, (
                "Past. Debraystraat", "Kruisweg", "Hoebertweg", "Schoolstraat",
            )),
            Town("America", 5966, 5969, (
                "Dorperweg", "Kerkstraat", "Sint Jozefstraat", "Hoogheide", "Peelstraat",
            )),
            Town("Grubbenvorst", 5970, 5972, (
                "Kloosterstraat", "Hoogstraat", "Venloseweg", "Lottumseweg", "Raadhuisstraat",
            )),
            Town("Sevenum", 5973, 5975, (
                "Kerkstraat", "Broekhuizerweg", "Horsterweg", "Kleefsedijk", "Maasbreeseweg",
                "Raadhuisstraat",
            )),
        ),
    ),
)  # fmt: skip

DEMO_MUNICIPALITIES: list[dict[str, str]] = [p.as_dict() for p in DEMO_PROFILES]


def synthetic_municipalities(
    count: int, *, taken: Sequence[MunicipalityProfile] = DEMO_PROFILES
) -> list[MunicipalityProfile]:
    """``count`` made-up municipalities (GM9001…) on the postcode areas ``taken`` leaves free."""
    if not 0 <= count <= 999:
        raise ValueError("between 0 and 999 synthetic municipalities")
    used_codes = {p.code for p in taken}
    used_areas = {
        area
        for p in taken
        for town in p.towns
        for area in range(town.postcode_from, town.postcode_to + 1)
    }
    free = [area for area in range(1000, 10000) if area not in used_areas]
    if count > len(free):
        raise ValueError("not enough free postcode areas")
    profiles: list[MunicipalityProfile] = []
    number = 0
    for index in range(count):
        number += 1
        while f"GM{9000 + number:04d}" in used_codes:
            number += 1
        # Contiguous runs of free areas; a run may jump over a taken range, which is harmless.
        chunk = free[index * len(free) // count : (index + 1) * len(free) // count]
        label = f"{index + 1:03d}"
        towns = tuple(
            Town(f"Voorbeeldplaats {label}", area, area, _GENERIC_STREETS) for area in chunk
        )
        profiles.append(
            MunicipalityProfile(
                code=f"GM{9000 + number:04d}",
                name=f"Voorbeeldgemeente {label}",
                province=_PROVINCES[index % len(_PROVINCES)],
                region="",
                towns=towns,
                weight=20,
            )
        )
    return profiles


def national_municipalities(total: int = 342) -> list[MunicipalityProfile]:
    """The five demo municipalities plus synthetic ones up to ``total`` (342 in 2025, §4.3)."""
    return [*DEMO_PROFILES, *synthetic_municipalities(total - len(DEMO_PROFILES))]


@dataclass
class _Street:
    name: str
    next_number: dict[int, int]  # side (1 odd, 0 even) → next free house number


@dataclass
class _TownState:
    town: Town
    active: list[_Street]
    pool: Iterator[str]

    def street(self, rng: random.Random) -> _Street | None:
        """A street with room left on some side; None when the town has no names left."""
        while True:
            if not self.active:
                name = next(self.pool, None)
                if name is None:
                    return None
                self.active.append(_new_street(name, rng))
            street = self.active[rng.randrange(len(self.active))]
            if min(street.next_number.values()) <= MAX_HOUSE_NUMBER:
                return street
            self.active.remove(street)


@dataclass
class _MunicipalityState:
    profile: MunicipalityProfile
    areas: list[tuple[int, _TownState]]  # (4-digit area, its town)
    next_pair: dict[int, int] = field(default_factory=dict)
    sequence: int = 0


def _new_street(name: str, rng: random.Random) -> _Street:
    # Some streets start further up, as real streets continue from a neighbouring postcode.
    start = 1 if rng.random() < 0.7 else rng.randrange(1, 80)
    return _Street(name, {1: start | 1, 0: (start + 1) & ~1})


def _street_pool(town: Town, rng: random.Random) -> Iterator[str]:
    composites = [prefix + suffix for prefix in _STREET_PREFIXES for suffix in _STREET_SUFFIXES]
    rng.shuffle(composites)
    seen = set(town.streets)
    for name in composites:
        if name not in seen:
            seen.add(name)
            yield name


def _init_state(profile: MunicipalityProfile, rng: random.Random) -> _MunicipalityState:
    areas: list[tuple[int, _TownState]] = []
    by_name: dict[str, _TownState] = {}
    for town in profile.towns:
        # Towns listed once per area (synthetic profiles) share one street state.
        state = by_name.get(town.name)
        if state is None:
            streets = list(town.streets)
            rng.shuffle(streets)
            state = _TownState(
                town=town,
                active=[_new_street(name, rng) for name in streets],
                pool=_street_pool(town, rng),
            )
            by_name[town.name] = state
        areas.extend((area, state) for area in range(town.postcode_from, town.postcode_to + 1))
    return _MunicipalityState(profile=profile, areas=areas)


def _area_value(rng: random.Random, shared: bool) -> str:
    if rng.random() < _MISSING_AREA_SHARE:
        return ""
    # Log-normal around 90 m² (60–120 for most homes); units sharing a number are smaller.
    median = 62.0 if shared else 90.0
    value = math.exp(rng.gauss(math.log(median), 0.35))
    return str(max(25, min(250, round(value))))


def _weighted(rng: random.Random, table: Sequence[tuple[T, float]], total: float) -> T:
    point = rng.random() * total
    for value, weight in table:
        point -= weight
        if point < 0:
            return value
    return table[-1][0]


def generate_bag_rows(
    count: int,
    seed: int = DEMO_SEED,
    municipalities: Sequence[MunicipalityProfile] = DEMO_PROFILES,
) -> Iterator[dict[str, str]]:
    """``count`` BAG-shaped rows (keys ``BAG_COLUMNS``), unique on id and on the address.

    The first n rows do not depend on ``count``, so a smaller file is a prefix of a larger one.
    Raises ValueError when the municipalities' postcode areas cannot hold ``count`` addresses.
    """
    rng = random.Random(seed)
    states = [_init_state(profile, rng) for profile in municipalities]
    uses_total = sum(w for _, w in _USES)
    status_total = sum(w for _, w in _STATUSES)
    units_total = sum(w for _, w in _UNIT_SETS)
    produced = 0
    while produced < count:
        live = [s for s in states if s.areas]
        if not live:
            raise ValueError(f"the municipalities hold at most {produced} generated addresses")
        state = rng.choices(live, weights=[s.profile.weight for s in live])[0]
        index = rng.randrange(len(state.areas))
        area, town_state = state.areas[index]
        street = town_state.street(rng)
        if street is None:
            state.areas = [(a, t) for a, t in state.areas if t is not town_state]
            continue
        pair_index = state.next_pair.get(area, 0)
        if pair_index + 1 >= len(POSTCODE_PAIRS):
            state.areas.pop(index)
        state.next_pair[area] = pair_index + 1
        postcode = f"{area} {POSTCODE_PAIRS[pair_index]}"

        # One postcode = one side of a street segment of 3–14 consecutive numbers.
        sides = [side for side, n in street.next_number.items() if n <= MAX_HOUSE_NUMBER]
        side = sides[rng.randrange(len(sides))]
        number = street.next_number[side]
        last = min(MAX_HOUSE_NUMBER, number + 2 * (rng.randint(3, 14) - 1))
        street.next_number[side] = last + 2
        gemeentecode = state.profile.gemeentecode
        for house_number in range(number, last + 1, 2):
            units = _weighted(rng, _UNIT_SETS, units_total)
            shared = len(units) > 1
            for letter, addition in units:
                state.sequence += 1
                uses = _weighted(rng, _USES, uses_total)
                yield {
                    "nummeraanduiding_identificatie": f"{gemeentecode}20{state.sequence:010d}",
                    "verblijfsobject_identificatie": f"{gemeentecode}01{state.sequence:010d}",
                    "openbare_ruimte_naam": street.name,
                    "huisnummer": str(house_number),
                    "huisletter": letter,
                    "huisnummertoevoeging": addition,
                    "postcode": postcode,
                    "woonplaats_naam": town_state.town.name,
                    "gemeentecode": gemeentecode,
                    "oppervlakte": _area_value(rng, shared),
                    "gebruiksdoelen": "|".join(uses),
                    "status": _weighted(rng, _STATUSES, status_total),
                }
                produced += 1
                if produced >= count:
                    return


def write_bag_csv(
    path: str | Path,
    count: int = DEMO_COUNT,
    seed: int = DEMO_SEED,
    municipalities: Sequence[MunicipalityProfile] = DEMO_PROFILES,
) -> int:
    """Write ``count`` generated addresses as a ``,``-separated UTF-8 CSV; returns the count."""
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(BAG_COLUMNS)
        for row in generate_bag_rows(count, seed, municipalities):
            writer.writerow([row[column] for column in BAG_COLUMNS])
            written += 1
    return written


def write_municipalities_csv(
    path: str | Path, municipalities: Sequence[MunicipalityProfile] = DEMO_PROFILES
) -> int:
    """Write ``code,name,province,region`` for the municipalities; returns the count."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MUNICIPALITY_COLUMNS)
        for profile in municipalities:
            row = profile.as_dict()
            writer.writerow([row[column] for column in MUNICIPALITY_COLUMNS])
    return len(municipalities)


def write_demo_files() -> None:
    """Regenerate the shipped ``data/municipalities.csv`` and ``data/bag-demo.csv``."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    write_municipalities_csv(DEMO_MUNICIPALITIES_CSV)
    write_bag_csv(DEMO_BAG_CSV, count=DEMO_COUNT, seed=DEMO_SEED)


if __name__ == "__main__":
    write_demo_files()
