"""Fixtures: app, db, client, CLI runner, factories and log-in as each role.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (the database
named there is emptied and migrated at the start). The schema is always created by the Alembic
migrations, never by create_all, so every run also tests the migrations.

Under pytest-xdist (``make test`` runs two workers and sends each test file whole to one of
them, ``--dist loadfile``) every worker has a database of its own: a
SQLite file in its own temporary directory, or on PostgreSQL ``<TEST_DATABASE_URL's name>_gw0``,
``…_gw1`` — created here with the named database's settings (``synchronous_commit``) and dropped
at the end. TEST_DATABASE_URL is set to the worker's database, so whatever reads it (the browser
tests' server, the deploy checks) uses that one.

Savepoint-per-test and module worlds
-------------------------------------
By default every test that uses ``app`` starts and ends with empty tables (``_clean_database``),
and builds its own data through the factories, which really commit. A module whose tests all
build the same data can build it once instead:

* ``module_tables`` (module scope) empties the tables before the module's world is built and
  after the module's last test;
* the module's world is a module-scoped fixture on top of it that builds the shared rows with the
  ``create_*`` functions below (the bodies of the ``make_*`` factories) and really commits them;
* every test of the module uses ``in_savepoint``: for that test ``db.session`` is bound to one
  connection holding an outer transaction, with ``join_transaction_mode="create_savepoint"``,
  so each ``commit()`` of a service, a view (the test client) or a factory only releases a
  savepoint, and the outer transaction is rolled back after the test: its writes vanish and the
  next test sees the world as it was built. ``_clean_database`` skips these tests.

Use it only for tests whose commits need not be seen by another connection: not the concurrency
tests (threads, processes), not the tests that read tables through ``db.engine.connect()`` (e.g.
tests/security compares tables that way), not the browser tests (a server in another process)
nor the CLI-subprocess tests. Within such a test, a second connection would not see the test's
rows (PostgreSQL) or would wait for its write lock (SQLite). Every test of a module with a world
must use ``in_savepoint`` (through the world fixture), or its per-test cleaning empties the
world. ``make test`` distributes whole files (``--dist loadfile``), so a module's world is built
once, on one worker. tests/integration/test_savepoint_isolation.py proves that one test's writes
do not reach the next.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from portal import clock, create_app
from portal.extensions import db
from portal.models import Address, Municipality, Organisation, User

PASSWORD = "correct horse battery staple 42"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def overrides_for(database_url: str) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_ECHO": False,
        "PUBLIC_BASE_URL": "http://portal.test",
        # The cheapest argon2id (8 KiB, one pass): hashing is exercised, not its cost. Production
        # refuses these (settings.production_checks); test_password_policy_t10 hashes at the
        # shipped defaults.
        "ARGON2_MEMORY_KIB": 8,
        "ARGON2_TIME_COST": 1,
        "ARGON2_PARALLELISM": 1,
    }


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = os.environ.get("TEST_DATABASE_URL")
    if worker and shared:
        os.environ["TEST_DATABASE_URL"] = _worker_database(shared, worker)
        config.stash[_WORKER_DATABASE] = os.environ["TEST_DATABASE_URL"]


_WORKER_DATABASE = pytest.StashKey[str]()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _WORKER_DATABASE in config.stash:
        _drop_database(config.stash[_WORKER_DATABASE])


def _admin(url: str) -> Any:
    from portal.settings import normalise_database_url

    target = make_url(normalise_database_url(url))
    admin = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    return target, admin


def _worker_database(shared: str, worker: str) -> str:
    """``<name>_<worker>``, new and empty, with the per-database settings of ``<name>``."""
    target, admin = _admin(shared)
    name = f"{target.database}_{worker}"
    try:
        with admin.connect() as conn:
            settings = (
                conn.execute(
                    text(
                        "SELECT unnest(s.setconfig) FROM pg_db_role_setting s"
                        " JOIN pg_database d ON d.oid = s.setdatabase"
                        " WHERE d.datname = :name AND s.setrole = 0"
                    ),
                    {"name": target.database},
                )
                .scalars()
                .all()
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            for setting in settings:
                key, _, value = setting.partition("=")
                conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET {key} = '{value}'")
    finally:
        admin.dispose()
    return target.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    target, admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _drop_everything() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(inspect(conn).get_table_names()):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    application = create_app(overrides_for(database_url))
    with application.app_context():
        _drop_everything()
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.rollback()
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            _empty_postgres(conn, tables)
        else:
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))


def _empty_postgres(conn: Any, tables: list[str]) -> None:
    """DELETE and sequences back to 1, sent as one batch of statements (one round trip): 5–9×
    faster than ``TRUNCATE … RESTART IDENTITY`` of every table (which makes new files for each
    table and index), measured per test on this suite. The audit trail's append-only trigger is
    a row trigger: as a superuser (CI, the machine's ``postgres``) the replica role skips it;
    otherwise TRUNCATE, which row triggers never see."""
    global _POSTGRES_CLEAN_SQL
    if _POSTGRES_CLEAN_SQL is None:
        superuser = conn.execute(text("SELECT current_setting('is_superuser')")).scalar() == "on"
        if not superuser:
            _POSTGRES_CLEAN_SQL = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
        else:
            sequences = conn.execute(
                text("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S'")
            ).scalars()
            statements = ["SET LOCAL session_replication_role = replica"]
            statements += [f'DELETE FROM "{name}"' for name in reversed(tables)]
            setvals = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
            if setvals:
                statements.append(f"SELECT {setvals}")
            _POSTGRES_CLEAN_SQL = "; ".join(statements)
    conn.exec_driver_sql(_POSTGRES_CLEAN_SQL)


_POSTGRES_CLEAN_SQL: str | None = None


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts and ends with empty tables, except the tests in a
    savepoint (``in_savepoint``): their writes are rolled back, and their module's world stays."""
    if "app" not in request.fixturenames or "in_savepoint" in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        _empty_tables()
    yield
    with application.app_context():
        _empty_tables()


@pytest.fixture(scope="module")
def module_tables(app: Flask) -> Iterator[None]:
    """Empty tables before a module's world is built and after the module's last test."""
    with app.app_context():
        _empty_tables()
    yield
    with app.app_context():
        _empty_tables()


class _JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine for every model even when the session
    was given a ``bind`` (its ``get_bind`` never looks at ``self.bind``); this one uses the
    connection it was bound to, so it joins that connection's transaction."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


@pytest.fixture
def in_savepoint(app: Flask) -> Iterator[Connection]:
    """For this test, ``db.session`` (in every app context: the test's, the test client's) is
    bound to one connection inside an outer transaction, and commits only release savepoints;
    the outer transaction is rolled back after the test. Yields that connection.

    On SQLite the driver (pysqlite) would neither emit BEGIN for the outer transaction nor keep a
    transaction around a SAVEPOINT, so the RELEASE of a commit would commit for real. The
    documented workaround (SQLAlchemy's pysqlite notes, "Serializable isolation / Savepoints /
    Transactional DDL") is applied to this one connection only, not to the engine: the driver's
    own transaction handling is off (``isolation_level = None``) and BEGIN is emitted here; the
    setting is restored before the connection goes back to the pool. The app's engine, and so
    production, is unchanged."""
    with app.app_context():
        connection = db.engine.connect()
    driver = (
        connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    )
    if driver is not None:
        level = driver.isolation_level
        driver.isolation_level = None  # nothing is open yet: the implied COMMIT does nothing
    outer = connection.begin()
    if driver is not None:
        connection.exec_driver_sql("BEGIN")
    original = db.session
    db.session = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _JoinedSession}
    )
    try:
        yield connection
    finally:
        joined = db.session
        db.session = original
        for session in list(joined.registry.registry.values()):  # type: ignore[attr-defined]
            session.close()
        outer.rollback()
        if driver is not None:
            driver.isolation_level = level
        connection.close()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for service and model tests."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


_seq = itertools.count(1)


def _stored(obj: Any) -> Any:
    """Add ``obj`` (again), commit, and hand it back loaded and detached from the session."""
    db.session.add(obj)
    db.session.commit()
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


def create_municipality(
    app: Flask, code: str = "GM0344", name: str = "Utrecht", province: str = "Utrecht"
) -> Municipality:
    with app.app_context():
        mun = db.session.query(Municipality).filter_by(code=code).one_or_none()
        if mun is None:
            mun = Municipality(code=code, name=name, province=province)
        return _stored(mun)


def create_org(
    app: Flask,
    name: str | None = None,
    kvk: str | None = None,
    kinds: tuple[str, ...] = ("staffing_agency",),
) -> Organisation:
    n = next(_seq)
    with app.app_context():
        org = Organisation(
            kvk_number=kvk or f"{90000000 + n:08d}",
            name=name or f"Organisatie {n}",
            is_employer="employer" in kinds,
            is_staffing_agency="staffing_agency" in kinds,
            is_housing_provider="housing_provider" in kinds,
            contact_email=f"contact{n}@example.nl",
        )
        return _stored(org)


def create_user(
    app: Flask,
    role: str = "declarant",
    *,
    org: Organisation | None = None,
    municipality: Municipality | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    totp: bool | None = None,
) -> User:
    """``totp``: enrol a TOTP secret (``user.totp_secret``). By default staff roles are
    enrolled (they must pass the second factor) and organisation users are not."""
    from portal.services.passwords import hash_password
    from portal.services.totp import new_secret, required_for

    n = next(_seq)
    with app.app_context():
        user = User(email=email or f"user{n}@example.nl", role=role)
        if role in ("declarant", "org_admin"):
            user.organisation_id = (org or create_org(app)).id
        elif role in ("inspector", "municipal_admin"):
            user.municipality_id = (municipality or create_municipality(app)).id
        user.password_hash = hash_password(password)
        user.email_verified_at = clock.now() if verified else None
        if required_for(user) if totp is None else totp:
            user.totp_secret = new_secret()
            user.totp_enabled_at = clock.now()
        return _stored(user)


def create_address(
    app: Flask,
    postcode: str = "3511 AB",
    house_number: int = 1,
    *,
    letter: str = "",
    addition: str = "",
    municipality: Municipality | None = None,
    floor_area: int | None = 100,
    uses: str = "woonfunctie",
    street: str = "Oudegracht",
    town: str = "Utrecht",
) -> Address:
    n = next(_seq)
    mun = municipality or create_municipality(app)
    with app.app_context():
        address = Address(
            nummeraanduiding_id=f"{mun.code[2:]}20{n:010d}",
            verblijfsobject_id=f"{mun.code[2:]}01{n:010d}",
            street=street,
            house_number=house_number,
            house_letter=letter,
            house_number_addition=addition,
            postcode=postcode,
            town=town,
            municipality_id=mun.id,
            floor_area_m2=floor_area,
            uses=uses,
            bag_status="Verblijfsobject in gebruik",
        )
        return _stored(address)


# The factories: the functions above for the session's app. A module-scoped world calls the
# functions themselves (function-scoped fixtures cannot be used there).
@pytest.fixture
def make_municipality(app: Flask) -> Callable[..., Municipality]:
    return functools.partial(create_municipality, app)


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    return functools.partial(create_org, app)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    return functools.partial(create_user, app)


@pytest.fixture
def make_address(app: Flask) -> Callable[..., Address]:
    return functools.partial(create_address, app)


SECOND_FACTOR_PATH = "/account/tweede-stap"


def login(
    client: FlaskClient, user: User, password: str = PASSWORD, *, second_factor: bool = True
) -> Any:
    """Log ``user`` in through the real login form; returns the last response.

    When the login asks for the second step (staff, or users with TOTP) and ``second_factor`` is
    true, the current code of the user's enrolled secret is entered too, as the person would.
    With ``second_factor=False`` (or a user who still has to enrol) it stops after the password.
    """
    response = client.post("/inloggen", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    if not second_factor or urlsplit(response.headers["Location"]).path != SECOND_FACTOR_PATH:
        return response
    code = current_totp_code(client.application, user.email)
    if code is None:  # not enrolled yet: the caller goes on with the set-up
        return response
    response = client.post(SECOND_FACTOR_PATH, data={"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def current_totp_code(app: Flask, email: str) -> str | None:
    """A code of ``email``'s TOTP secret that the portal accepts now, or None if not enrolled.

    Like a person waiting for the next code: the current step, else the next one (±1 step of
    drift is accepted). When a test logs the same user in more often than that within one time
    step (a frozen clock), the user's last used step is cleared first; that shortcut exists only
    here, so replay protection itself is tested in tests/web/test_totp.py without it.
    """
    from portal.services import totp

    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        if not totp.is_enrolled(user):
            return None
        now = totp.current_step()
        last = user.totp_last_step
        step = next((s for s in (now, now + 1) if last is None or s > last), None)
        if step is None:
            user.totp_last_step = None
            db.session.commit()
            step = now
        return totp.code_at(str(user.totp_secret), step)


@pytest.fixture
def login_as(
    client: FlaskClient,
    make_user: Callable[..., User],
) -> Callable[..., User]:
    """Create a user of ``role`` (with optional org/municipality) and log the test client in."""

    def do(role: str, **kwargs: Any) -> User:
        user = make_user(role, **kwargs)
        login(client, user)
        return user

    return do
