"""Fuzz: whatever the query string, a GET never answers 5xx and every error is JSON.

Hypothesis writes raw query strings (``QUERY_STRING`` as the WSGI server hands
it over, so invalid UTF-8 and broken percent-escapes reach Django) over the
parameters the read API knows and some it does not, for every GET route,
anonymous and with a token. Properties (CONTRACT §3):

- never a 5xx; an error is a JSON object with a ``message`` string;
- a 400 names, in ``errors`` and in ``message``, a parameter that was sent
  (unless the query string is over Django's field limit: no one is at fault);
- a 200 echoes ``device_id``, and ``limit``/``offset`` only when they were
  written in ASCII digits (fullwidth or Arabic-Indic digits, or ``1_2``, are
  not 12).

See ``fuzz_http`` for the bounds and why the examples are derandomized.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import TooManyFieldsSent
from django.db import DatabaseError, transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLResolver, get_resolver
from hypothesis import event, example, given
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from alarms.tests.factories import add_alarm, add_rule
from autoforge.tests.fuzz_http import assert_closed, fuzz_settings, rolled_back
from control import services as control_services
from control.models import Command
from sensors.tests.readings_factory import T0, add_reading

pytestmark = pytest.mark.django_db

# Every GET route under /api, as Django's resolver spells it. A route added
# without being fuzzed here fails test_every_api_route_is_fuzzed.
FUZZED_ROUTES = {
    "api/health": "/api/health",
    "api/^sensors/latest$": "/api/sensors/latest",
    "api/^sensors/history$": "/api/sensors/history",
    "api/^sensors/stats$": "/api/sensors/stats",
    "api/^sensors/ml-data$": "/api/sensors/ml-data",
    "api/^control$": "/api/control",
    "api/^control/(?P<pk>[0-9]+)$": "/api/control/{id}",
    "api/^sensors/aggregate$": "/api/sensors/aggregate",
    "api/^sensors/export$": "/api/sensors/export",
    "api/^sensors/stream$": "/api/sensors/stream",
    "api/^devices$": "/api/devices",
    "api/^devices/(?P<device_id>[^/]+)$": "/api/devices/{id}",
    "api/^alarm-rules$": "/api/alarm-rules",
    "api/^alarm-rules/(?P<pk>[0-9]+)$": "/api/alarm-rules/{id}",
    "api/^alarms$": "/api/alarms",
    "api/^alarms/(?P<pk>[0-9]+)$": "/api/alarms/{id}",
    "api/^alarms/(?P<pk>[0-9]+)/ack$": "/api/alarms/{id}/ack",  # POST only: a GET is refused
    # POST and DELETE only: a GET is refused.
    "api/devices/<str:device_id>/credentials": "/api/devices/{id}/credentials",
    "api/schema": "/api/schema",
    "api/docs": "/api/docs",
}
PARAMETERS = (
    "device_id",
    "limit",
    "offset",
    "since",
    "until",
    "format",
    "interval",
    "tz",
    "online",
    "status",
    "severity",
    "acknowledged",
)
REQUIRED_PARAMETERS = {"interval"}  # /api/sensors/aggregate
# Parameters read as integers, and the paths that echo them back.
INTEGER_PARAMETERS = ("limit", "offset")
ECHOING_PATHS = ("/api/sensors/history", "/api/control", "/api/alarms")
DEVICE_ID_ECHOING_PATHS = (
    "/api/sensors/aggregate",
    "/api/sensors/history",
    "/api/sensors/stats",
    "/api/sensors/ml-data",
    "/api/control",
)
# What int() accepts that the API should too: ASCII digits, a sign, ".0".
ASCII_INTEGER_RE = re.compile(r"[ \t\n\r\x0b\x0c]*[+-]?[0-9]+(\.0*)?[ \t\n\r\x0b\x0c]*")


def _encoded(text: str) -> str:
    """``text`` percent-encoded as UTF-8; a lone surrogate becomes ``%ED%A0%80``-style bytes."""
    return quote(text, safe="", errors="surrogatepass")


def _fullwidth(number: int) -> str:
    return "".join(chr(0xFF10 + int(digit)) for digit in str(number))


def _arabic_indic(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


_T0_ISO = T0.isoformat()
_T0_EPOCH = f"{T0.timestamp():.6f}"

valid_values = st.sampled_from(
    ["press-1", "press-2", "no-such-device", "1", "2", "100", "10000", "100000", "0"]
) | st.sampled_from(
    [
        "json",
        "csv",
        "npz",
        "ndjson",
        "1m",
        "1h",
        "1d",
        "true",
        "false",
        "active",
        "cleared",
        "critical",
        "major",
        "UTC",
        "Europe/Berlin",
        "Asia/Kolkata",
        "..%2F..%2Fetc%2Fpasswd",
        _encoded(_T0_ISO),
        _encoded(_T0_ISO.replace("+00:00", "Z")),
        _T0_ISO.replace("+00:00", "+01:00"),  # an unencoded "+": a space to the server
        _T0_EPOCH,
        str(int(T0.timestamp()) + 3),
    ]
)
boundary_numbers = (
    st.sampled_from([0, 1, 9_999, 10_000, 99_999, 100_000, 2**31, 2**62, 2**63, 2**64])
    .flatmap(lambda n: st.sampled_from([n - 1, n, n + 1, -n - 1, -n, -n + 1]))
    .map(str)
)
any_integers = st.integers(min_value=-(10**40), max_value=10**40).map(str)
floats = st.floats().map(repr) | st.sampled_from(
    ["1.0", "10.00", "10.", ".5", "1.5", "1e3", "1E3", "-0.0", "1e309", "-1e309", "0.0000001"]
)
special_words = (
    st.sampled_from(
        ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "None", "null", "true"]
    )
    | st.sampled_from(
        ["[]", "{}", "[1]", "%5B%5D", "0x10", "0b1", "0o7", "1_000", "1,000", "+5", "%2B5", "00010"]
    )
    | st.sampled_from([" 5", "5 ", "%205", "%0A5", "5%0A", "5%09", "5+", "+", "%20"])
)
foreign_digits = (
    st.integers(min_value=0, max_value=10**6)
    .flatmap(lambda n: st.sampled_from([_fullwidth(n), _arabic_indic(n), "1" + _fullwidth(n)]))
    .map(_encoded)
)
# Any code point, lone surrogates (category Cs) included.
any_character = st.characters(codec=None, categories=["L", "M", "N", "P", "S", "Z", "C"])
unicode_text = st.text(alphabet=any_character, max_size=30).map(_encoded)
percent_junk = st.lists(
    st.sampled_from(["%", "%%", "%G1", "%1", "%E2%82", "%FF", "%C0%80", "%ED%A0%80", "%ED%BF%BF"])
    | st.sampled_from(["%F4%90%80%80", "%EF%BF%BF", "%u0041", "%2", "%00", "a", "1", "-", "%26"]),
    min_size=1,
    max_size=6,
).map("".join)
# Raw bytes, unescaped, as a careless client or a proxy would send them.
raw_bytes = st.binary(min_size=1, max_size=20).map(lambda data: data.decode("iso-8859-1"))
nul_values = st.sampled_from(["%00", "a%00", "%00%00", "press-1%00", "1%00", _T0_EPOCH + "%00"])
very_long = st.tuples(
    st.sampled_from(["9", "a", "1", "%ED%A0%80", "-", "0"]),
    st.integers(min_value=65, max_value=20_000),
).map(lambda pair: pair[0] * pair[1])
iso_junk = st.sampled_from(
    ["", "Z", "z", "ZZ", "+25:00", "-00:00", "+01:00:00.5", "junk", "T", "%00", "%20"]
) | st.sampled_from(["+0100", "+01", "[UTC]", "%2B14:00", "-23:59", ".9999999", "%ED%A0%80"])
iso_dates = (
    st.tuples(
        st.datetimes(
            min_value=datetime(1, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
            timezones=st.none() | st.just(UTC),
        ).map(lambda moment: _encoded(moment.isoformat())),
        iso_junk,
    ).map("".join)
    | st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "10000-01-01", "2026-W05-4"])
    | st.sampled_from(["2026-029", "20260129T143045", "2026-01-29T24:00:00", "2026-01-29 14:30:45"])
    | st.sampled_from(["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59.999999-00:01"])
)
epoch_numbers = (
    st.integers(min_value=-(10**22), max_value=10**22).map(str)
    | st.decimals(allow_nan=False, allow_infinity=False, places=7).map(str)
    | st.sampled_from(["-62135596800", "-62135596801", "253402300799", "253402300800", "-0"])
    | st.sampled_from(["253402300799.9999999", "1769697045.0000005", "9" * 25, "-" + "9" * 25])
)
values = st.one_of(
    valid_values,
    valid_values,
    boundary_numbers,
    any_integers,
    floats,
    special_words,
    foreign_digits,
    unicode_text,
    percent_junk,
    raw_bytes,
    nul_values,
    very_long,
    iso_dates,
    epoch_numbers,
)
extra_names = (
    st.sampled_from(["id", "page", "x", "LIMIT", "Limit", "limit[]", "device_id%20", "%6Cimit"])
    | st.sampled_from(["lim%00it", "%ED%A0%80", "format%00", "since%FF", "%26", "", "a" * 300])
    | st.text(alphabet=any_character, min_size=1, max_size=20).map(_encoded)
)
names = st.sampled_from(PARAMETERS) | st.sampled_from(PARAMETERS) | extra_names
# "n=v", "n" (no "="), "n=v=v", "n=" and "=v": every shape parse_qsl sees.
pair_shapes = st.sampled_from(
    ["{n}={v}", "{n}={v}", "{n}={v}", "{n}", "{n}={v}={v}", "{n}=", "={v}"]
)
pairs = st.tuples(pair_shapes, names, values).map(
    lambda drawn: drawn[0].format(n=drawn[1], v=drawn[2])
)
repeated_pairs = st.tuples(pairs, st.integers(min_value=2, max_value=4)).map(
    lambda drawn: "&".join([drawn[0]] * drawn[1])
)
query_strings = st.one_of(
    st.lists(pairs | repeated_pairs, max_size=6).map("&".join),
    st.lists(pairs, max_size=6).map("&".join),
    # One field over DATA_UPLOAD_MAX_NUMBER_FIELDS (1000).
    pairs.map(lambda pair: "&".join([pair] * 1001)),
    st.sampled_from(["", "&", "&&&", "=", "?", "%", "a=1;limit=5", "limit=5#frag"]),
)

detail_ids = st.sampled_from(["{seeded}", "{broken}", "0", "00001", str(2**63 - 1)]) | (
    st.integers(min_value=0, max_value=2**70).map(str)
)
path_junk = st.sampled_from(
    ["abc", "-1", "1.0", "%ED%A0%80", _encoded(_fullwidth(12)), "1%00", "%FF", "0" * 50 + "1"]
)
paths = st.sampled_from(list(FUZZED_ROUTES.values()))
path_suffixes = st.sampled_from(["", "", "", "", "", "", "", "", "/", "/x", "%00", "%20"])

identities = (
    st.sampled_from(["anonymous", "anonymous", "operator", "operator", "viewer"])
    | st.sampled_from(["Token", "Token a b", "Token " + "k" * 41, "Token zzz", "Bearer x"])
    | st.sampled_from(["Basic Og==", "Token \xe9", "token {operator}", "Token  {operator}"])
)
accepts = (
    st.none()
    | st.sampled_from(["application/json", "*/*", "text/html", "text/csv", "application/xml"])
    | st.sampled_from(
        ["application/json; indent=4", "application/json; indent=x", "application/json; indent=-1"]
    )
)


def _api_routes() -> set[str]:
    def walk(patterns, prefix: str = ""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route

    return {route for route in walk(get_resolver().url_patterns) if route.startswith("api/")}


def _user_with_token(username: str, codename: str) -> str:
    user = User.objects.create_user(username)
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return Token.objects.create(user=user).key


@pytest.fixture
def world(settings) -> dict[str, str]:
    """Readings, commands, alarms and two tokens; no rate limit for the fuzz loop."""
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""
    for second in range(5):
        add_reading("press-1", seconds=second, temperature=20.0 + second)
        add_reading("press-2", seconds=second + 0.5)
    keys = {
        "operator": _user_with_token("operator", "add_command"),
        "viewer": _user_with_token("viewer", "view_command"),
    }
    now = T0 + timedelta(minutes=1)
    plain = control_services.command_create(
        device_id="press-1", command="reboot", ttl_seconds=300, now=now
    )
    answered = control_services.command_create(
        device_id="press-1",
        command="set_rate",
        parameters={"hz": 10, "note": "é😀"},
        ttl_seconds=300,
        now=now,
    )
    control_services.command_record_answer(
        device_id="press-1", command_id=answered.id, ok=True, detail={"rate": 10}, now=now
    )
    # A detail holding a lone surrogate, as the ingest stored them before it
    # refused them (SQLite, MariaDB); PostgreSQL's jsonb never took one.
    broken = control_services.command_create(
        device_id="press-2", command="reboot", ttl_seconds=300, now=now
    )
    try:
        with transaction.atomic():
            Command.objects.filter(id=broken.id).update(status="failed", detail=["\ud800"])
    except DatabaseError:
        pass
    rule = add_rule(device_id="press-1")
    add_alarm(rule=rule, device_id="press-1")
    add_alarm(device_id="press-2", status="cleared", acknowledged=True)
    return {**keys, "seeded": str(plain.id), "broken": str(broken.id)}


def _client(identity: str, world: dict[str, str], accept: str | None) -> Client:
    headers = {}
    if identity in ("operator", "viewer"):
        headers["Authorization"] = f"Token {world[identity]}"
    elif identity != "anonymous":
        headers["Authorization"] = identity.format(operator=world["operator"])
    if accept is not None:
        headers["Accept"] = accept
    return Client(headers=headers)


def _parsed(query_string: str) -> QueryDict | None:
    """The query as Django parses it, or None when it has too many fields."""
    try:
        return QueryDict(query_string.encode("iso-8859-1"))
    except TooManyFieldsSent:
        return None


def _check_errors_name_a_parameter(body: dict, query: QueryDict | None) -> None:
    if query is None:
        return  # over DATA_UPLOAD_MAX_NUMBER_FIELDS: no parameter is at fault
    errors = body.get("errors")
    assert isinstance(errors, dict), body
    assert errors, body
    # A required parameter that was not sent is named too.
    assert set(errors) <= set(query) | REQUIRED_PARAMETERS, (body, list(query))
    assert any(f"'{name}'" in body["message"] for name in errors), body


def _check_echoes(path: str, body: dict, query: QueryDict) -> None:
    if path in DEVICE_ID_ECHOING_PATHS:
        # A blank value, like none, is no filter.
        assert body["device_id"] == (query.get("device_id") or None), (body["device_id"], query)
    if path in ECHOING_PATHS:
        for name in INTEGER_PARAMETERS:
            sent = query.get(name, "")
            if sent:  # a blank value, like none, leaves the default
                assert ASCII_INTEGER_RE.fullmatch(sent), f"{name}={sent!r} was accepted"
                assert body[name] == int(float(sent.strip())), (name, sent, body[name])


def test_every_api_route_is_fuzzed() -> None:
    assert _api_routes() == set(FUZZED_ROUTES)


@fuzz_settings(max_examples=1200)
@given(
    path=paths,
    detail_id=st.one_of(detail_ids, detail_ids, detail_ids, path_junk),  # junk: 1 in 4
    suffix=path_suffixes,
    query_string=query_strings,
    identity=identities,
    accept=accepts,
)
# Known: int() read fullwidth and Arabic-Indic digits, and "1_0", and they were accepted.
@example(
    path="/api/sensors/history",
    detail_id="0",
    suffix="",
    query_string="limit=%EF%BC%91%EF%BC%92",
    identity="anonymous",
    accept=None,
)
@example(
    path="/api/control",
    detail_id="0",
    suffix="",
    query_string="offset=%D9%A1&limit=%EF%BC%91%EF%BC%92",
    identity="operator",
    accept=None,
)
@example(
    path="/api/sensors/history",
    detail_id="0",
    suffix="",
    query_string="limit=1_0",
    identity="anonymous",
    accept=None,
)
# Known: a command detail holding a lone surrogate (SQLite, MariaDB) broke the list.
@example(
    path="/api/control",
    detail_id="0",
    suffix="",
    query_string="device_id=press-2",
    identity="operator",
    accept=None,
)
@example(
    path="/api/control/{id}",
    detail_id="{broken}",
    suffix="",
    query_string="",
    identity="viewer",
    accept=None,
)
@example(
    path="/api/sensors/history",
    detail_id="0",
    suffix="",
    query_string="device_id=%ED%A0%80&since=%ED%A0%80&limit=%ED%A0%80&x%ED%A0%80=%00",
    identity="anonymous",
    accept=None,
)
@example(
    path="/api/sensors/ml-data",
    detail_id="0",
    suffix="",
    query_string="limit=1&limit=" + "9" * 5000 + "&format=npz%00&since=" + "9" * 30,
    identity="operator",
    accept="text/csv",
)
@example(
    path="/api/sensors/stats",
    detail_id="0",
    suffix="",
    query_string="&".join(["device_id=press-1"] * 1001),
    identity="anonymous",
    accept=None,
)
def test_a_get_with_any_query_string_never_answers_5xx_and_errors_are_json(
    world: dict[str, str],
    path: str,
    detail_id: str,
    suffix: str,
    query_string: str,
    identity: str,
    accept: str | None,
) -> None:
    url = path.format(id=detail_id.format(**world)) + suffix
    query = _parsed(query_string)
    client = _client(identity, world, accept)

    with rolled_back():
        response = client.get(url, QUERY_STRING=query_string)

    event(f"{path}{suffix and ' + ' + suffix}: {response.status_code}")
    body = assert_closed(response)
    if response.status_code == 400:
        assert body is not None
        _check_errors_name_a_parameter(body, query)
    if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
        assert query is not None
        _check_echoes(path, response.json(), query)
