"""copier.yml: every question's validator accepts good answers and rejects bad ones clearly."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import ascii_spellings
import copier
import pytest
import stdlib_names
import yaml

from .answers import BASE, WORKER_BROKERS, Answers
from .conftest import TEMPLATE_DIR

QUESTIONS: dict[str, Any] = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())


def answers_after(tmp_path: Path, base: Answers = BASE, **answers: Any) -> dict[str, Any]:
    """Run copier's questionnaire without writing anything; raises on a rejected answer."""
    worker = copier.run_copy(
        str(TEMPLATE_DIR),
        str(tmp_path / "project"),
        data={**base, **answers},
        defaults=True,
        unsafe=True,
        pretend=True,
        skip_tasks=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    return dict(worker.answers.combined)


def rejection(tmp_path: Path, **answers: Any) -> str:
    with pytest.raises(ValueError, match="Validation error for question") as caught:
        answers_after(tmp_path, **answers)
    return str(caught.value)


def test_every_public_question_has_help() -> None:
    public = {
        name: spec
        for name, spec in QUESTIONS.items()
        if not name.startswith("_") and spec.get("when") is not False
    }
    assert set(public) == {
        "project_name",
        "project_slug",
        "package_name",
        "description",
        "author_name",
        "author_email",
        "python_version",
        "http_port",
        "license",
        "database",
        "cache",
        "worker",
        "broker",
        "monitoring",
        "auth",
        "post_copy_validation",
    }
    assert [name for name, spec in public.items() if not spec.get("help")] == []


def test_defaults_are_derived_from_the_project_name(tmp_path: Path) -> None:
    answers = answers_after(tmp_path, project_name="Billing API v2")
    assert answers["project_slug"] == "billing-api-v2"
    assert answers["package_name"] == "billing_api_v2"
    assert answers["python_version"] == "3.13"
    assert answers["http_port"] == 8000
    assert answers["license"] == "MIT"


def test_default_validation_level_is_static(tmp_path: Path) -> None:
    without_level = {key: value for key, value in BASE.items() if key != "post_copy_validation"}
    assert answers_after(tmp_path, base=without_level)["post_copy_validation"] == "static"


@pytest.mark.parametrize(
    "name",
    [
        "Orders",
        "orders-service_2",
        "A1",
        "Payments API 3",
        "x",
        "1password",
        "Orders!",
        "trailing-",
        "Ünïcode Service",
        "東京",
        "Café – Zürich’s API 🚀",  # noqa: RUF001
        'O\'Brien "Ledger" \\N #9: {EU} $HOME',
        "Ж" * 64,
    ],
)
def test_project_name_accepts_any_display_name(tmp_path: Path, name: str) -> None:
    assert answers_after(tmp_path, project_name=name)["project_name"] == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        " Orders",
        "Orders ",
        "Orders\u3000",  # an ideographic space is a space too
        "a" * 65,
        "two\nlines",
        "carriage\rreturn",
        "a\ttab",
        "nul\x00",
        "escape\x1b[31m",
        "delete\x7f",
        "next\x85line",  # C1; YAML reads it as a line break
        "line\u2028separator",
        "paragraph\u2029separator",
        "right-to-left \u202eoverride",
        "isolate\u2066d",
        "byte order\ufeffmark",
        "not\uffffa character",
        "lone\udc80surrogate",
    ],
)
def test_project_name_rejects_what_files_cannot_show(tmp_path: Path, name: str) -> None:
    message = rejection(tmp_path, project_name=name)
    assert "Use 1 to 64 characters on one line, no control characters, no outer spaces." in message


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [
        ("Ünïcode Service", "unicode-service", "unicode_service"),
        ("ÜNÏCODE SERVICE", "unicode-service", "unicode_service"),
        ("U\u0308ni\u0308code Service", "unicode-service", "unicode_service"),  # decomposed
        ("Café Zürich", "cafe-zurich", "cafe_zurich"),
        ("Straße", "strasse", "strasse"),
        ("Łódź", "lodz", "lodz"),
        ("Øresund", "oresund", "oresund"),
        ("Æsir Þing Œuvre", "aesir-thing-oeuvre", "aesir_thing_oeuvre"),
        ("Đà Nẵng Ðata", "da-nang-data", "da_nang_data"),
        ("İstanbul Ödeme", "istanbul-odeme", "istanbul_odeme"),
        ("Ｆｕｌｌｗｉｄｔｈ Ａｐｉ", "fullwidth-api", "fullwidth_api"),  # noqa: RUF001
        ("ﬁnance H₂O", "finance-h2o", "finance_h2o"),
        ('"Ledger" \\ Payouts #9: {EU}', "ledger-payouts-9-eu", "ledger_payouts_9_eu"),
        ("Orders – EU’s API 🚀", "orders-eu-s-api", "orders_eu_s_api"),  # noqa: RUF001
        ("東京 Orders", "orders", "orders"),
        ("3D Printing API", "printing-api", "printing_api"),
    ],
)
def test_defaults_spell_the_display_name_in_ascii(
    tmp_path: Path, name: str, slug: str, package: str
) -> None:
    answers = answers_after(tmp_path, project_name=name)
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)


@pytest.mark.parametrize("name", ["東京", "Москва", "Αθήνα", "!!!", "2048", "🚀", "- _ -"])
def test_a_display_name_without_an_ascii_word_gives_the_service_default(
    tmp_path: Path, name: str
) -> None:
    # Accepted, and the offered defaults still pass their validators (docs/OPTIONS.md, "Names").
    answers = answers_after(tmp_path, project_name=name)
    assert (answers["project_slug"], answers["package_name"]) == ("service", "service")


def test_a_long_display_name_that_spells_longer_gives_a_valid_slug(tmp_path: Path) -> None:
    answers = answers_after(tmp_path, project_name="ß" * 64)  # 128 letters in ASCII
    assert answers["project_slug"] == "s" * 50
    answers = answers_after(tmp_path, project_name="Þ-" * 32)
    assert answers["project_slug"] == "-".join(["th"] * 17)[:50].rstrip("-")


def test_ascii_spellings_are_those_the_script_prints() -> None:
    assert QUESTIONS["ascii_spellings"]["default"] == ascii_spellings.ascii_spellings()


def test_every_ascii_spelling_is_lowercase_ascii_of_characters_outside_ascii() -> None:
    # What the slug's default relies on: a spelling is a word (or nothing), and every
    # character it spells is one that lowercasing keeps and ASCII does not hold.
    for spelling, chars in QUESTIONS["ascii_spellings"]["default"].items():
        assert isinstance(spelling, str)
        assert re.fullmatch("[a-z0-9]*", spelling), spelling
        assert all(char > "~" and char.lower() == char for char in chars), spelling
    spelled = "".join(QUESTIONS["ascii_spellings"]["default"].values())
    assert len(spelled) == len(set(spelled))  # one spelling each


def test_long_project_name_gives_a_valid_slug(tmp_path: Path) -> None:
    answers = answers_after(tmp_path, project_name="A" + " very long name" * 4 + " x")
    assert len(answers["project_slug"]) <= 50
    assert not answers["project_slug"].endswith("-")


@pytest.mark.parametrize("slug", ["orders", "orders-service", "api2-v3"])
def test_project_slug_accepts(tmp_path: Path, slug: str) -> None:
    assert answers_after(tmp_path, project_slug=slug)["project_slug"] == slug


@pytest.mark.parametrize(
    "slug", ["Orders", "orders--x", "-orders", "orders_service", "9lives", "a" * 51]
)
def test_project_slug_rejects(tmp_path: Path, slug: str) -> None:
    assert "lowercase ASCII words joined by one '-'" in rejection(tmp_path, project_slug=slug)


@pytest.mark.parametrize("package", ["orders", "orders_service", "api2"])
def test_package_name_accepts(tmp_path: Path, package: str) -> None:
    assert answers_after(tmp_path, package_name=package)["package_name"] == package


@pytest.mark.parametrize("package", ["Orders", "orders-service", "2fast", "_private", "a" * 51])
def test_package_name_rejects_invalid_identifiers(tmp_path: Path, package: str) -> None:
    assert "Use lowercase letters, digits and '_'" in rejection(tmp_path, package_name=package)


@pytest.mark.parametrize(
    ("package", "kind"),
    [
        ("class", "a Python keyword"),
        ("import", "a Python keyword"),
        ("json", "a standard-library module"),
        ("asyncio", "a standard-library module"),
        ("logging", "a standard-library module"),
        ("fastapi", "a dependency of the service"),
        ("tests", "a dependency of the service"),
        ("test", "a standard-library module"),
        ("dotenv", "a dependency of the service"),
    ],
)
def test_package_name_rejects_names_that_would_clash(
    tmp_path: Path, package: str, kind: str
) -> None:
    message = rejection(tmp_path, package_name=package)
    assert f"That is the name of {kind}; add a suffix such as _service." in message


@pytest.mark.parametrize("description", ["", "   ", "two\nlines", "x" * 201])
def test_description_rejects(tmp_path: Path, description: str) -> None:
    assert "single non-empty line of at most 200" in rejection(tmp_path, description=description)


@pytest.mark.parametrize("author", ["", "a\nb", "x" * 101])
def test_author_name_rejects(tmp_path: Path, author: str) -> None:
    assert "single non-empty line of at most 100" in rejection(tmp_path, author_name=author)


@pytest.mark.parametrize("email", ["team@example.com", "first.last+tag@sub.example.org"])
def test_author_email_accepts(tmp_path: Path, email: str) -> None:
    assert answers_after(tmp_path, author_email=email)["author_email"] == email


@pytest.mark.parametrize("email", ["", "team", "team@", "@example.com", "a b@example.com", "t@x"])
def test_author_email_rejects(tmp_path: Path, email: str) -> None:
    assert "Use an e-mail address" in rejection(tmp_path, author_email=email)


@pytest.mark.parametrize("port", [1024, 8000, 65535])
def test_http_port_accepts(tmp_path: Path, port: int) -> None:
    assert answers_after(tmp_path, http_port=port)["http_port"] == port


@pytest.mark.parametrize("port", [0, 80, 1023, 65536])
def test_http_port_rejects(tmp_path: Path, port: int) -> None:
    assert "between 1024 and 65535" in rejection(tmp_path, http_port=port)


def test_database_defaults_to_postgresql(tmp_path: Path) -> None:
    assert answers_after(tmp_path)["database"] == "postgresql"


def test_cache_defaults_to_none(tmp_path: Path) -> None:
    assert answers_after(tmp_path)["cache"] == "none"


def test_worker_defaults_to_none_and_redis_is_the_default_broker(tmp_path: Path) -> None:
    answers = answers_after(tmp_path)
    assert answers["worker"] == "none"
    assert answers["uses_redis"] is False
    assert answers_after(tmp_path, worker="arq")["broker"] == "redis"
    assert answers_after(tmp_path, worker="arq")["uses_redis"] is True
    assert answers_after(tmp_path, cache="redis")["uses_redis"] is True


def test_a_broker_the_worker_cannot_use_is_rejected_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice") as caught:
        answers_after(tmp_path, worker="arq", broker="rabbitmq")
    assert "ARQ takes its jobs from Redis only" in str(caught.value)


@pytest.mark.parametrize(
    ("worker", "broker"),
    [
        (worker, broker)
        for worker, brokers in WORKER_BROKERS.items()
        if worker != "none"
        for broker in brokers
    ],
)
def test_each_worker_takes_each_of_its_brokers_and_keeps_its_results_in_redis(
    tmp_path: Path, worker: str, broker: str
) -> None:
    answers = answers_after(tmp_path, worker=worker, broker=broker)
    assert (answers["worker"], answers["broker"]) == (worker, broker)
    assert answers["uses_redis"] is True


def test_the_broker_question_is_asked_only_with_a_worker() -> None:
    assert QUESTIONS["broker"]["when"] == "{{ worker != 'none' }}"


@pytest.mark.parametrize(
    ("question", "bad", "allowed"),
    [
        ("python_version", "3.9", "3.11"),
        ("license", "GPL-3.0", "Apache-2.0"),
        ("post_copy_validation", "full", "docker"),
        ("database", "mongodb", "postgresql"),
        ("database", "postgres", "sqlite"),
        ("cache", "memcached", "redis"),
        ("worker", "rq", "arq"),
    ],
)
def test_choices_reject_other_values(tmp_path: Path, question: str, bad: str, allowed: str) -> None:
    with pytest.raises(ValueError, match="Invalid choice") as caught:
        answers_after(tmp_path, base={**BASE, question: bad})
    assert allowed in str(caught.value)


def test_monitoring_defaults_to_prometheus_and_may_be_switched_off(tmp_path: Path) -> None:
    assert answers_after(tmp_path)["monitoring"] == ["prometheus"]
    assert answers_after(tmp_path, monitoring=[])["monitoring"] == []


@pytest.mark.parametrize(
    "chosen",
    [["opentelemetry"], ["sentry"], ["prometheus", "opentelemetry", "sentry"]],
)
def test_monitoring_offers_tracing_and_error_reporting(tmp_path: Path, chosen: list[str]) -> None:
    assert answers_after(tmp_path, monitoring=chosen)["monitoring"] == chosen


def test_monitoring_rejects_a_choice_it_does_not_offer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice for 'monitoring'") as caught:
        answers_after(tmp_path, monitoring=["prometheus", "grafana"])
    assert "'grafana'" in str(caught.value)
    for offered in ("prometheus", "opentelemetry", "sentry"):
        assert offered in str(caught.value)


def test_auth_defaults_to_none(tmp_path: Path) -> None:
    assert answers_after(tmp_path)["auth"] == []


@pytest.mark.parametrize("chosen", [["oidc"], ["api_key"], ["oidc", "api_key"]])
def test_auth_offers_tokens_and_keys(tmp_path: Path, chosen: list[str]) -> None:
    assert answers_after(tmp_path, auth=chosen)["auth"] == chosen


def test_auth_rejects_a_choice_it_does_not_offer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice for 'auth'") as caught:
        answers_after(tmp_path, auth=["oidc", "password"])
    assert "'password'" in str(caught.value)
    for offered in ("oidc", "api_key"):
        assert offered in str(caught.value)


def test_the_metrics_port_stays_apart_from_the_service_port(tmp_path: Path) -> None:
    assert answers_after(tmp_path)["metrics_port"] == 9464
    assert answers_after(tmp_path, http_port=9464)["metrics_port"] == 9465


def test_reserved_standard_library_names_are_those_of_every_offered_python() -> None:
    reserved = QUESTIONS["reserved_package_names"]["default"]["a standard-library module"]
    assert reserved == stdlib_names.all_stdlib_names()


@pytest.mark.parametrize(
    ("project_name", "package"),
    [
        ("Class", "class_service"),
        ("Test", "test_service"),
        ("json", "json_service"),
        ("FastAPI", "fastapi_service"),
        ("Async", "async_service"),
        ("Tests", "tests_service"),
        ("Tëst", "test_service"),  # a reserved name once spelled in ASCII
        ("Ïmport", "import_service"),
    ],
)
def test_a_derived_package_name_that_would_clash_gets_a_suffix(
    tmp_path: Path, project_name: str, package: str
) -> None:
    # Interactively, copier offers this default; it must pass its own validator.
    assert answers_after(tmp_path, project_name=project_name)["package_name"] == package


def test_a_long_derived_package_name_with_a_suffix_stays_within_50_characters(
    tmp_path: Path,
) -> None:
    # A slug of 50 characters that is not reserved keeps its name: only clashes get a suffix.
    answers = answers_after(tmp_path, project_name="Orders " + "x" * 43)
    assert answers["package_name"] == "orders_" + "x" * 43


# What copier shows at a prompt: the help line after "🎤 " (3 columns), each choice
# after a 2-column pointer, and a rejected answer's message in one toolbar line.
TERMINAL_COLUMNS = 80


def test_every_help_line_and_choice_fits_an_80_column_terminal() -> None:
    too_wide = []
    for name, spec in QUESTIONS.items():
        if name.startswith("_") or not isinstance(spec, dict) or spec.get("when") is False:
            continue
        for line in spec.get("help", "").splitlines():
            if len(line) + 3 > TERMINAL_COLUMNS:
                too_wide.append(f"{name} help: {line}")
        choices = spec.get("choices", {})
        for label in choices if isinstance(choices, dict) else map(str, choices):
            if len(label) + 4 > TERMINAL_COLUMNS:
                too_wide.append(f"{name} choice: {label}")
    assert too_wide == []


@pytest.mark.parametrize(
    "bad",
    [
        {"project_name": " Orders"},
        {"project_name": "two\nlines"},
        {"project_name": "a" * 65},
        {"project_slug": "Orders"},
        {"package_name": "2fast"},
        {"package_name": "json"},
        {"package_name": "class"},
        {"package_name": "fastapi"},
        {"description": ""},
        {"author_name": "a\nb"},
        {"author_email": "team"},
        {"http_port": 80},
    ],
    ids=lambda bad: "-".join(f"{key}={value!r}" for key, value in bad.items()),
)
def test_every_rejection_message_is_one_line_that_fits_80_columns(
    tmp_path: Path, bad: Answers
) -> None:
    message = rejection(tmp_path, **bad).rsplit("\n", 1)[-1].strip()
    # copier prefixes "Validation error for question '<name>': " when run non-interactively.
    message = message.split("': ", 1)[-1]
    assert message
    assert "\n" not in message
    assert len(message) <= TERMINAL_COLUMNS - 1, message


def test_a_refused_data_answer_ends_with_the_line_options_md_quotes(tmp_path: Path) -> None:
    """Copier prints its own traceback for a refused `-d` answer; docs/OPTIONS.md tells
    the reader which line to read. That line must be the one copier really ends with."""
    documented = re.search(
        r"^    (ValueError: Validation error for question .*)$",
        (TEMPLATE_DIR / "docs/OPTIONS.md").read_text(),
        re.MULTILINE,
    )
    assert documented is not None, "docs/OPTIONS.md quotes no refused-answer line"
    command = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet"]
    command += ["--vcs-ref", "HEAD", "-d", "project_name=Orders", "-d", "package_name=class"]
    result = subprocess.run(
        [*command, str(TEMPLATE_DIR), str(tmp_path / "project")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == documented.group(1)
    assert not (tmp_path / "project").exists()
