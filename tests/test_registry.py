"""The source registry: the bundled file loads; a broken one is refused naming file, entry and reason."""

import pytest

from crawlers.registry import DEFAULT_REGISTRY, RegistryError, load_registry
from tests.conftest import run_cli
from tests.servers import registry_entry

REQUIRED_OUTLETS = {
    "chinadaily",
    "xinhua",
    "globaltimes",
    "cgtn",
    "mfa",
    "china_mission_geneva",
    "xinjiang_gov",
    "peoples_daily",
    "ohchr",
    "unnews",
}


def test_bundled_registry_has_the_outlets_we_follow():
    registry = load_registry(DEFAULT_REGISTRY)
    assert {s.name for s in registry.sources} == REQUIRED_OUTLETS
    xinjiang = registry.get("xinjiang_gov")
    assert xinjiang.language == "zh"
    for source in registry.sources:
        assert source.verified is False, "no URL was verified from here"
        assert source.download_delay >= 1 and source.concurrency == 1 and source.autothrottle


def test_defaults_are_polite_and_overridable(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "[defaults]\nconcurrency = 2\n"
        + registry_entry(
            "one", "http://127.0.0.1:1", feeds=["http://127.0.0.1:1/f.xml"], article_pattern="/a/", download_delay=3.0
        ).replace("concurrency = 8\n", "")
    )
    source = load_registry(path).get("one")
    assert source.concurrency == 2 and source.download_delay == 3.0
    assert source.confirm_deletion == 1 and source.revisit == ((float("inf"), 0.0),)


BROKEN = [
    ("unknown key", {"colour": "red"}, "unknown key(s) colour"),
    ("bad regex", {"article_pattern": "(unclosed"}, "is not a valid regular expression"),
    ("bad selector", {"ignore_selectors": ["div[unclosed"]}, "ignore_selectors 'div[unclosed' is not a CSS selector"),
    ("bad cron", {"schedule": "every hour"}, "is not a valid cron expression"),
    ("no discovery", {"feeds": []}, "no discovery method"),
    ("bad number", {"concurrency": 0}, "concurrency must be a whole number of at least 1"),
    ("bad duration", {"deletion_grace": "soon"}, "deletion_grace"),
    ("bad url", {"feeds": ["ftp://example.org/feed"]}, "is not an http(s) URL"),
    ("not a switch", {"autothrottle": "yes"}, "autothrottle must be true or false, not 'yes'"),
    ("bool as count", {"max_articles": True}, "max_articles must be a whole number of at least 1, not True"),
    ("text as seconds", {"download_timeout": "30"}, "download_timeout must be a number of seconds, not '30'"),
    ("bad date", {"verified": "2021-13-01"}, "verified must be true, false or a date \"YYYY-MM-DD\", not '2021-13-01'"),
    ("bad revisit", {"revisit": [["14d", "1d"], ["2d", "0s"]]}, "revisit: ages must increase"),
    ("no domains", {"allowed_domains": []}, "allowed_domains is empty"),
    ("one-page template", {"template_min_articles": 1}, "template_min_articles must be a whole number of at least 2"),
    ("bad template share", {"template_share": 1.5}, "template_share must be a share between 0 and 1"),
]


@pytest.mark.parametrize("case,keys,reason", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_entry_is_refused_with_file_entry_and_reason(tmp_path, case, keys, reason):
    path = tmp_path / "broken.toml"
    entry = registry_entry("good", "x", feeds=["http://127.0.0.1:9/f.xml"], article_pattern="/a/")
    bad = registry_entry("bad", "x", **{"feeds": ["http://127.0.0.1:9/f.xml"], "article_pattern": "/a/", **keys})
    path.write_text(entry + "\n" + bad)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    message = str(error.value)
    assert str(path) in message and "source 'bad' (entry 2, line" in message and reason in message
    assert len(error.value.problems) == 1, error.value.problems


def test_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "dup.toml"
    entry = registry_entry("same", "x", feeds=["http://127.0.0.1:9/f.xml"], article_pattern="/a/")
    path.write_text(entry + "\n" + entry)
    with pytest.raises(RegistryError, match="duplicate name, first defined in entry 1"):
        load_registry(path)


def test_cli_refuses_a_broken_registry_with_exit_status_2(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(
        registry_entry("bad", "x", feeds=["http://127.0.0.1:9/f.xml"], article_pattern="(", schedule="nope")
    )
    result = run_cli("--db", str(tmp_path / "w.duckdb"), "--sources", str(path), "crawl")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"the source registry {path} is broken" in result.stderr
    assert "source 'bad' (entry 1, line 1): article_pattern '(' is not a valid regular expression" in result.stderr
    assert "schedule 'nope' is not a valid cron expression" in result.stderr


def test_cli_reports_toml_syntax_errors_and_missing_files(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text("[[sources]]\nname = \n")
    result = run_cli("--sources", str(path), "sources")
    assert result.returncode == 2 and "not valid TOML" in result.stderr and "line 2" in result.stderr
    result = run_cli("--sources", str(tmp_path / "nope.toml"), "sources")
    assert result.returncode == 2 and "nope.toml does not exist: check --sources" in result.stderr
    assert "broken" not in result.stderr


def test_unknown_source_is_a_usage_error(tmp_path):
    result = run_cli("--db", str(tmp_path / "w.duckdb"), "crawl", "--source", "nosuch")
    assert result.returncode == 2
    assert "no source named 'nosuch'" in result.stderr and "presswatch sources" in result.stderr


def test_every_default_has_one_home_the_scrapy_settings_and_the_registry_header_agree_with():
    import re
    import tomllib

    from crawlers import settings as scrapy_settings
    from crawlers.durations import parse_duration
    from crawlers.registry import source_defaults

    defaults = source_defaults()
    scrapy = {
        "USER_AGENT": "user_agent",
        "DOWNLOAD_DELAY": "download_delay",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "concurrency",
        "AUTOTHROTTLE_ENABLED": "autothrottle",
        "DOWNLOAD_TIMEOUT": "download_timeout",
        "DOWNLOAD_MAXSIZE": "max_download_bytes",
        "PRESSWATCH_RETRY_AFTER_MAX": "retry_after_max",
    }
    for setting, key in scrapy.items():
        assert getattr(scrapy_settings, setting) == defaults[key], setting

    header = DEFAULT_REGISTRY.read_text(encoding="utf-8").split("[defaults]")[0]
    documented = dict(re.findall(r"\b([a-z_]+) \[([^\]\[]+)\]", header))
    checked = 0
    for key, text in documented.items():
        if key not in defaults or key == "revisit":
            continue
        if text.endswith(" MB"):
            value = float(text[:-3]) * 1024 * 1024
        else:
            value = tomllib.loads(f"v = {text}")["v"]
            if key in ("deletion_grace", "revisit_after_edit"):
                value = parse_duration(value)
        assert value == defaults[key], f"sources.toml documents {key} [{text}], the code's default is {defaults[key]}"
        checked += 1
    assert checked >= 12, documented


def test_the_committed_json_schema_is_the_one_the_models_give():
    from crawlers.registry_schema import SCHEMA_FILE, schema_text

    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "crawlers/sources.schema.json is out of date: run `python -m crawlers.registry_schema`"
    )
    assert DEFAULT_REGISTRY.read_text(encoding="utf-8").startswith("#:schema ./sources.schema.json\n")


def test_the_json_schema_accepts_good_registries_and_refuses_what_the_loader_refuses(tmp_path):
    import json
    import tomllib

    from jsonschema import Draft202012Validator

    from crawlers.registry import parse_registry
    from crawlers.registry_schema import SCHEMA_FILE
    from demo_site import demo_registry

    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    rule = '\n[[alerts]]\nname = "edits"\nchannels = ["json://127.0.0.1:9/x"]\nkinds = ["edited"]\n'
    for text in (DEFAULT_REGISTRY.read_text(encoding="utf-8"), demo_registry("http://127.0.0.1:9") + rule):
        assert not [e.message for e in validator.iter_errors(tomllib.loads(text))]
    for keys in ({"colour": "red"}, {"concurrency": 0}, {"autothrottle": "yes"}, {"feeds": ["ftp://x.org/f"]}):
        text = registry_entry("bad", "x", **{"feeds": ["http://127.0.0.1:9/f.xml"], "article_pattern": "/a/", **keys})
        assert list(validator.iter_errors(tomllib.loads(text))), keys
        with pytest.raises(RegistryError):
            parse_registry(text, tmp_path / "bad.toml")
