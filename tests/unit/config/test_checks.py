"""Each key's checks: what is accepted, how it is normalised, and the message for a mistake."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.config.configs import config_with, errors_of, load, one_error

# (the line setting the key, the message expected for that key)
TYPE_ERRORS = [
    ("c['title'] = None", "title", "must be a str, not None"),
    ("c['titleURL'] = 3", "titleURL", "must be a str or None, not int"),
    ("c['buildbotURL'] = 'localhost:8010'", "buildbotURL", "must be an http:// or https:// URL"),
    ("c['buildbotURL'] = 8010", "buildbotURL", "must be a str, not int"),
    ("c['properties'] = [('a', 1)]", "properties", "must be a dict, not list"),
    ("c['properties'] = {1: 'x'}", "properties", "property names must be str, not int"),
    ("c['properties'] = {'p': {1, 2}}", "properties", "property 'p' is a set; property values"),
    ("c['properties'] = {'p': [float('nan')]}", "properties", "property 'p'[0] is nan"),
    ("c['collapseRequests'] = 'yes'", "collapseRequests", "must be True, False or a callable"),
    ("c['prioritizeBuilders'] = 'x'", "prioritizeBuilders", "must be a callable or None, not str"),
    ("c['codebaseGenerator'] = 1", "codebaseGenerator", "must be a callable or None, not int"),
    ("c['revlink'] = 'https://x'", "revlink", "must be a callable or None, not str"),
    ("c['secretsProviders'] = object()", "secretsProviders", "must be a list of secret providers"),
    ("c['user_managers'] = 'x'", "user_managers", "must be a list of user managers, not str"),
    ("c['logCompressionMethod'] = 'xz'", "logCompressionMethod", "must be one of 'raw', 'gz'"),
    ("c['logCompressionLimit'] = -1", "logCompressionLimit", "must be at least 0, not -1"),
    ("c['logCompressionLimit'] = True", "logCompressionLimit", "must be an int, not bool"),
    ("c['logEncoding'] = 'klingon'", "logEncoding", "unknown encoding 'klingon'"),
    ("c['logEncoding'] = b'utf-8'", "logEncoding", "must be a str, not bytes"),
    ("c['logMaxSize'] = 0", "logMaxSize", "must be at least 1, not 0"),
    ("c['logMaxSize'] = '1M'", "logMaxSize", "must be an int or None, not str"),
    ("c['logMaxTailSize'] = 1.5", "logMaxTailSize", "must be an int or None, not float"),
    ("c['caches'] = 10", "caches", "must be a dict of cache name to size, not int"),
    ("c['caches'] = {'Builds': -1}", "caches", "size of cache 'Builds' must be an int of at least"),
    ("c['buildHorizon'] = '10'", "buildHorizon", "must be an int or None, not str"),
    ("c['logHorizon'] = -2", "logHorizon", "must be at least 0, not -2"),
    ("c['eventHorizon'] = 1.0", "eventHorizon", "must be an int or None, not float"),
    ("c['changeHorizon'] = []", "changeHorizon", "must be an int or None, not list"),
    ("c['multiMaster'] = 1", "multiMaster", "must be True or False, not int"),
    ("c['validation'] = ['x']", "validation", "must be a dict of name to regular expression"),
    ("c['validation'] = {'branch': '('}", "validation", "validation 'branch' is not a valid"),
    ("c['validation'] = {'brunch': 'x'}", "validation", "unknown validation 'brunch' (did you mea"),
    ("c['validation'] = {'branch': 1}", "validation", "validation 'branch' must be a str or"),
    ("c['configurators'] = [object()]", "configurators", "configurator #1 (object) has no config"),
    ("c['protocols'] = 9989", "protocols", "must be a dict such as {'pb': {'port': 9989}}"),
    ("c['protocols'] = {'pb': 9989}", "protocols", "'pb' must be a dict such as {'port': 9989}"),
    ("c['protocols'] = {'pb': {}}", "protocols", "'pb' needs a 'port'"),
    ("c['protocols'] = {'pb': {'port': 1.5}}", "protocols", "'pb' port: must be a port number"),
    ("c['protocols'] = {'pb': {'port': 'tcp:x'}}", "protocols", "'pb' port: port 'x' is not a"),
    ("c['protocols'] = {'pb': {'port': 1, 'host': 2}}", "protocols", "unknown 'pb' option 'host'"),
    (
        "c['protocols'] = {'bp': {'port': 1}}",
        "protocols",
        "unknown protocol 'bp'; Marid spe",
    ),
    ("c['www'] = 8010", "www", "must be a dict such as {'port': 8010}, not int"),
    ("c['www'] = {'port': 'web:8010'}", "www", "'port': unknown endpoint type 'web'"),
    ("c['www'] = {'prot': 8010}", "www", "unknown www option 'prot' (did you mean 'port'?)"),
    ("c['www'] = {'allowed_origins': '*'}", "www", "'allowed_origins' must be a list of str"),
    ("c['www'] = {'ws_ping_interval': -1}", "www", "'ws_ping_interval' must be a number of sec"),
    ("c['www'] = {'json_cache_seconds': 1.5}", "www", "'json_cache_seconds' must be an int"),
    ("c['www'] = {'max_request_body': 10}", "www", "'max_request_body' must be an int of at le"),
    ("c['www'] = {'max_json_depth': '9'}", "www", "'max_json_depth' must be an int of at least 2"),
    ("c['www'] = {'max_reason_length': 0}", "www", "'max_reason_length' must be an int of at l"),
    ("c['www'] = {'trusted_proxies': '127.0.0.1'}", "www", "'trusted_proxies' must be a list"),
    (
        "c['www'] = {'trusted_proxies': ['proxy.local']}",
        "www",
        "'trusted_proxies': 'proxy.local' is not an IP address or network",
    ),
    ("c['www'] = {'plugins': ['console_view']}", "www", "'plugins' must be a dict of plugin"),
    (
        "c['www'] = {'change_hook_dialects': {'github': 1}}",
        "www",
        "'change_hook_dialects': opt",
    ),
    ("c['www'] = {'change_hook_auth': 'file:x'}", "www", "'change_hook_auth' must be a list of"),
    ("c['www'] = {'debug': 'yes'}", "www", "'debug' must be True or False, not str"),
    ("c['www'] = {'custom_templates_dir': 1}", "www", "'custom_templates_dir' must be a str or"),
    ("c['www'] = {'logfileName': 1}", "www", "'logfileName' must be a str or None, not int"),
    ("c['www'] = {'logRotateLength': 0}", "www", "'logRotateLength' must be an int of at least"),
    ("c['www'] = {'maxRotatedFiles': '3'}", "www", "'maxRotatedFiles' must be an int of at le"),
    ("c['www'] = {'default_page': 1}", "www", "'default_page' must be a str or None, not"),
    ("c['www'] = {'rest_minimum_version': 3}", "www", "'rest_minimum_version' must be an int"),
    ("c['www'] = {'versions': [('a',)]}", "www", "'versions' must be a list of (name, version)"),
    ("c['www'] = {'cookie_expiration_time': 3600}", "www", "'cookie_expiration_time' must be a"),
    ("c['www'] = {'ui_default_config': []}", "www", "'ui_default_config' must be a dict, not"),
    ("c['www'] = {'theme': 'dark'}", "www", "'theme' must be a dict, not str"),
    ("c['db'] = 'sqlite://'", "db", "must be a dict such as {'db_url': 'sqlite:///state.sqlite'}"),
    ("c['db'] = {'url': 'sqlite://'}", "db", "unknown db option 'url' (did you mean 'db_url'?)"),
    ("c['db'] = {'db_url': 'oracle://h/x'}", "db", "'db_url': unsupported database 'oracle'"),
    ("c['db'] = {'engine_kwargs': 1}", "db", "'engine_kwargs' must be a dict of str to value"),
    ("c['db'] = {'timeout': 0}", "db", "'timeout' must be a number of seconds above 0, not int"),
    ("c['db_url'] = 'state.sqlite'", "db_url", "'state.sqlite' is not a database URL"),
    ("c['db_url'] = None", "db_url", "must be a str such as 'sqlite:///state.sqlite', not None"),
    ("c['mq'] = 'simple'", "mq", "must be a dict such as {'type': 'simple'}, not str"),
    ("c['mq'] = {'type': 'wamp'}", "mq", "Marid has no 'wamp' MQ"),
    ("c['mq'] = {'type': 'kafka'}", "mq", "'type' must be 'simple' or 'redis', not 'kafka'"),
    ("c['mq'] = {'type': 'simple', 'redis_url': 'redis://'}", "mq", "unknown 'simple' mq option"),
    ("c['mq'] = {'type': 'redis', 'redis_url': 'http://x'}", "mq", "'redis_url': must be a redis"),
    ("c['mq'] = {'debug': 'no'}", "mq", "'debug' must be True or False, not str"),
    ("c['workers'] = {'w1': 'pw'}", "workers", "must be a list of workers, not dict"),
    ("c['builders'] = None", "builders", "must be a list of builders, not None"),
    ("c['schedulers'] = 'all'", "schedulers", "must be a list of schedulers, not str"),
    ("c['services'] = 1", "services", "must be a list of services, not int"),
]


@pytest.mark.parametrize(("line", "key", "message"), TYPE_ERRORS, ids=[t[0] for t in TYPE_ERRORS])
def test_each_key_reports_a_bad_value_at_its_line(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    error = one_error(tmp_path, config_with(line))

    assert (error.key, error.lineno) == (key, 2)
    assert error.message.startswith(message), error.message


def test_every_known_key_has_a_type_error_case() -> None:
    from marid.config.checks import KNOWN_KEYS

    tested = {key for _, key, _ in TYPE_ERRORS}
    untyped = {"manhole", "buildbotNetUsageData", "change_source"}
    assert KNOWN_KEYS - tested <= untyped


def test_unknown_key_suggests_the_nearest_known_key(tmp_path: Path) -> None:
    error = one_error(tmp_path, config_with("c['buildbotUrl'] = 'http://x/'"))

    assert str(error).endswith("c['buildbotUrl']: unknown key (did you mean 'buildbotURL'?)")


def test_unknown_key_without_a_near_match_says_so(tmp_path: Path) -> None:
    error = one_error(tmp_path, config_with("c['zzzz'] = 1"))

    assert error.message == "unknown key"


def test_keys_of_old_buildbot_versions_name_their_replacement(tmp_path: Path) -> None:
    error = one_error(tmp_path, config_with("c['slaves'] = []"))

    assert error.message == "unknown key; Marid, like current Buildbot, uses c['workers']"


def test_db_and_db_url_together_is_an_error(tmp_path: Path) -> None:
    error = one_error(
        tmp_path, config_with("c['db'] = {'db_url': 'sqlite://'}\nc['db_url'] = 'sqlite://'")
    )

    assert (error.key, error.lineno) == ("db_url", 3)
    assert "both set" in error.message


def test_multi_master_needs_redis_and_a_database_server(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, config_with("c['multiMaster'] = True"))

    assert [e.key for e in errors] == ["multiMaster", "multiMaster"]
    assert "'type': 'redis'" in errors[0].message
    assert "not SQLite" in errors[1].message


def test_multi_master_with_redis_and_postgresql_loads(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        config_with(
            """
            c['multiMaster'] = True
            c['db_url'] = 'postgresql+psycopg://marid:pw@db/marid'
            c['mq'] = {'type': 'redis', 'redis_url': 'redis://cache:6379/1'}
            """
        ),
    )

    assert config.multi_master
    assert config.db_url == "postgresql+psycopg://marid:pw@db/marid"
    assert (config.mq.type, config.mq.redis_url) == ("redis", "redis://cache:6379/1")


def test_worker_port_number_listens_everywhere_web_port_number_on_loopback(
    tmp_path: Path,
) -> None:
    config = load(
        tmp_path,
        config_with("c['protocols'] = {'pb': {'port': 9989}}\nc['www'] = {'port': 8011}"),
    )

    assert config.pb_port == "tcp:9989"
    assert config.protocols == {"pb": {"port": "tcp:9989"}}
    assert config.www_port == "tcp:8011:interface=127.0.0.1"


def test_protocols_without_pb_turn_the_worker_port_off(tmp_path: Path) -> None:
    assert load(tmp_path, config_with("c['protocols'] = {}")).pb_port is None


def test_www_port_none_turns_the_web_server_off(tmp_path: Path) -> None:
    assert load(tmp_path, config_with("c['www'] = {'port': None}")).www_port is None


def test_www_options_are_carried(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        config_with(
            """
            import datetime
            c['www'] = dict(
                port="tcp:8010",
                allowed_origins=["https://ci.example.org"],
                plugins={"waterfall_view": {}},
                change_hook_dialects={"github": {"secret": "s"}},
                versions=[("app", "1.0")],
                cookie_expiration_time=datetime.timedelta(hours=1),
                logfileName=None,
            )
            """
        ),
    )

    assert config.www.port == "tcp:8010"
    assert config.www.allowed_origins == ["https://ci.example.org"]
    assert config.www.plugins == {"waterfall_view": {}}
    assert config.www.change_hook_dialects == {"github": {"secret": "s"}}
    assert config.www.versions == [("app", "1.0")]
    assert config.www.cookie_expiration_time == timedelta(hours=1)
    assert config.www.logfile_name is None


@pytest.mark.parametrize(
    ("method", "stored"),
    [("raw", "raw"), ("gz", "zlib"), ("bz2", "zstd"), ("lz4", "zstd"), ("zstd", "zstd")],
)
def test_log_compression_methods_map_to_what_marid_stores(
    tmp_path: Path, method: str, stored: str
) -> None:
    config = load(tmp_path, config_with(f"c['logCompressionMethod'] = {method!r}"))

    assert config.log_compression == stored


def test_log_tail_may_not_exceed_the_log_size(tmp_path: Path) -> None:
    error = one_error(tmp_path, config_with("c['logMaxSize'] = 100\nc['logMaxTailSize'] = 200"))

    assert (error.key, error.lineno) == ("logMaxTailSize", 3)


def test_settings_are_normalised(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        config_with(
            """
            import re
            c['buildbotURL'] = 'https://ci.example.org/marid'
            c['properties'] = {'os': 'linux', 'flags': ('-O2',)}
            c['caches'] = {'Changes': 100}
            c['validation'] = {'branch': r'^[a-z]+$', 'revision': re.compile('^[0-9a-f]+$')}
            c['collapseRequests'] = None
            c['change_source'] = object()
            c['changeHorizon'] = None
            """
        ),
    )

    assert config.buildbot_url == "https://ci.example.org/marid/"
    assert config.properties == {"os": "linux", "flags": ["-O2"]}
    assert config.caches == {"Builds": 15, "Changes": 100}
    assert config.validation["branch"] == re.compile("^[a-z]+$")
    assert config.validation["revision"].pattern == "^[0-9a-f]+$"
    assert "property_name" in config.validation
    assert config.collapse_requests is True
    assert len(config.change_source) == 1
    assert config.change_horizon is None


def test_db_timeout_is_carried_and_defaults_to_ten_seconds(tmp_path: Path) -> None:
    assert load(tmp_path, config_with("")).db_timeout == 10.0
    config = load(tmp_path, config_with("c['db'] = {'db_url': 'sqlite://', 'timeout': 2}"))
    assert config.db_timeout == 2.0


def test_usage_data_setting_is_accepted_and_ignored(tmp_path: Path) -> None:
    config = load(tmp_path, config_with("c['buildbotNetUsageData'] = 'full'"))

    assert config == load(tmp_path, config_with(""))


def test_non_str_keys_are_errors(tmp_path: Path) -> None:
    error = one_error(tmp_path, config_with("c[1] = 'x'"))

    assert error.message == "BuildmasterConfig keys must be str, not int (1)"
