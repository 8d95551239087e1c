"""Hostile requests to the organizers' console, each with the answer it must get.

Every case is a request a signed-in organizer's browser (or a stranger's, or a script)
could send: forged or missing CSRF tokens, another site's Origin, fields missing or of the
wrong type, 100 kB values, control and bidi characters, markup, SQL, ids that name nothing,
wrong audiences, times in the past, unsafe redirects. Each must be refused with a 4xx (or
the form shown again with its field's error), never a 5xx, and change no stored data.

Paths may name the seeded items: {session} (a session ahead), {resource}, {draft} (a
broadcast draft), {stale} (a draft scheduled for a time that has passed), {person}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tests.support.hostile_files import CASES as FILE_CASES

Csrf = Literal["session", "missing", "forged"]

SESSION_ID = "hostile-upcoming"
RESOURCE_ID = "beacons-of-hope"
PERSON_NAME = "Ana Pérez"
PERSON_NUMBER = "+15550123456"
EVIL = "https://evil.example"
SCRIPT = "<script>alert(1)</script>"
KB100 = "x" * 100_000
BIDI = "\u202eevil\u202c \u2066isolated\u2069 \u200f"
CONTROLS = "bell\x07 escape\x1b[31m tab\t vertical\x0b"

SESSION_FORM: dict[str, str] = {
    "starts_at": "2026-12-10T17:30",
    "timezone": "America/Los_Angeles",
    "duration_minutes": "90",
    "status": "scheduled",
    "title.en": "Family Voice",
    "title.es": "La voz de las familias",
    "link.en": "https://example.org/live",
}
RESOURCE_FORM: dict[str, str] = {
    "kind": "report",
    "title.en": "Beacons of Hope",
    "link.en": "https://example.org/beacons",
}
COMPOSE: dict[str, str] = {
    "text_en": "Family night on Friday",
    "reach": "subscribed",
    "when": "now",
}


@dataclass(frozen=True)
class HostileRequest:
    """One request and what must come back.

    `status` is the answer's status; `says` words the page must contain (HTML unescaped),
    `never` a raw string it must not (an unescaped script, say), `location` how the
    redirect's target must start (a path inside the console, not another site). `fields`
    are posted as a form with the session's CSRF token unless `csrf` says otherwise; `json`
    or `body` (with `content_type`) replace them; `upload` adds a file field named "file";
    `extra` holds the sign-in form's password ("right" for the real one), `next` and token.
    """

    id: str
    method: Literal["GET", "POST"]
    path: str
    status: int
    fields: tuple[tuple[str, str], ...] = ()
    csrf: Csrf = "session"
    headers: tuple[tuple[str, str], ...] = ()
    json: object = None
    body: bytes | None = None
    content_type: str = ""
    upload: tuple[str, bytes] | None = None
    signed_in: bool = True
    says: str = ""
    never: str = ""
    location: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _form(base: dict[str, str], **changes: str) -> tuple[tuple[str, str], ...]:
    merged = base | {key.replace("__", "."): value for key, value in changes.items()}
    return tuple(merged.items())


def session_form(**changes: str) -> tuple[tuple[str, str], ...]:
    """The edit form of the seeded session; `title__en=` changes `title.en`."""
    return _form(SESSION_FORM, **changes)


def resource_form(**changes: str) -> tuple[tuple[str, str], ...]:
    return _form(RESOURCE_FORM, **changes)


def compose(**changes: str) -> tuple[tuple[str, str], ...]:
    return _form(COMPOSE, **changes)


EDIT = "/admin/catalog/sessions/{session}"
NEW_SESSION = "/admin/catalog/sessions/new"
RESOURCE = "/admin/catalog/resources/{resource}"
NEW_RESOURCE = "/admin/catalog/resources/new"
PREVIEW = "/admin/catalog/import/preview"
APPLY = "/admin/catalog/import/apply"
COMPOSE_PATH = "/admin/broadcasts"
COUNTER = "/admin/api/sms-count"
SIMULATOR = "/admin/simulator"
SIMULATOR_API = "/admin/api/simulator"
SEARCH = "/admin/subscribers?q="
DELETE = "/admin/subscribers/{person}/delete"


def _error(key: str) -> str:
    return f'<p class="field-error" id="error-{key}"'


def _upload(case_id: str) -> HostileRequest:
    case = FILE_CASES[case_id]
    return HostileRequest(
        f"import-{case_id}",
        "POST",
        PREVIEW,
        422,
        upload=(case.name, case.content),
        says=case.says,
    )


HOSTILE_REQUESTS: tuple[HostileRequest, ...] = (
    # --- the guard: who may post at all
    HostileRequest(
        "csrf-missing", "POST", EDIT, 403, session_form(starts_at="2026-12-17T18:00"), "missing"
    ),
    HostileRequest("csrf-forged", "POST", EDIT, 403, session_form(status="cancelled"), "forged"),
    HostileRequest("csrf-missing-on-delete", "POST", DELETE, 403, (("confirm", "yes"),), "missing"),
    HostileRequest(
        "csrf-missing-on-json", "POST", COUNTER, 403, csrf="missing", json={"texts": {}}
    ),
    HostileRequest(
        "cross-origin-with-the-token",
        "POST",
        "/admin/broadcasts/{draft}/send",
        403,
        headers=(("Origin", EVIL),),
    ),
    HostileRequest(
        "null-origin",
        "POST",
        "/admin/broadcasts/{draft}/cancel",
        403,
        headers=(("Origin", "null"),),
    ),
    HostileRequest(
        "stranger-posts", "POST", DELETE, 401, (("confirm", "yes"),), "missing", signed_in=False
    ),
    HostileRequest(
        "stranger-calls-the-api",
        "POST",
        SIMULATOR_API,
        401,
        csrf="missing",
        json={"text": "hola"},
        signed_in=False,
    ),
    HostileRequest(
        "body-over-2-mib", "POST", SIMULATOR, 413, (("text", "x" * (2 * 1024 * 1024 + 1)),)
    ),
    HostileRequest(
        "broken-multipart",
        "POST",
        EDIT,
        400,
        body=b"--nope\r\nContent-Disposition: form-data\r\n\r\nunterminated",
        content_type="multipart/form-data; boundary=other",
    ),
    # --- a session's form
    HostileRequest("session-fields-missing", "POST", EDIT, 422, says=_error("starts_at")),
    HostileRequest(
        "session-date-abc",
        "POST",
        EDIT,
        422,
        session_form(starts_at="abc"),
        says=_error("starts_at"),
    ),
    HostileRequest(
        "session-date-year-9999",
        "POST",
        EDIT,
        422,
        session_form(starts_at="9999-12-31T23:00"),
        says=_error("starts_at"),
    ),
    HostileRequest(
        "session-duration-negative",
        "POST",
        EDIT,
        422,
        session_form(duration_minutes="-5"),
        says=_error("duration_minutes"),
    ),
    HostileRequest(
        "session-duration-huge",
        "POST",
        EDIT,
        422,
        session_form(duration_minutes="9" * 400),
        says=_error("duration_minutes"),
    ),
    HostileRequest(
        "session-zone-on-mars",
        "POST",
        EDIT,
        422,
        session_form(timezone="Mars/Olympus"),
        says=_error("timezone"),
    ),
    HostileRequest(
        "session-zone-path-traversal",
        "POST",
        EDIT,
        422,
        session_form(timezone="../../../../etc/passwd"),
        says=_error("timezone"),
    ),
    HostileRequest(
        "session-status-unknown",
        "POST",
        EDIT,
        422,
        session_form(status="deleted"),
        says=_error("status"),
    ),
    HostileRequest(
        "session-topic-unknown",
        "POST",
        EDIT,
        422,
        (*session_form(), ("topics", "no-such-topic")),
        says=_error("topics"),
    ),
    HostileRequest(
        "session-title-100kb-echoed",
        "POST",
        EDIT,
        422,
        session_form(title__en=KB100, starts_at="abc"),
        says=KB100,
    ),
    HostileRequest(
        "session-script-in-title-escaped",
        "POST",
        EDIT,
        422,
        session_form(title__en=SCRIPT, starts_at="abc"),
        says=SCRIPT,
        never=SCRIPT,
    ),
    HostileRequest(
        "session-bidi-and-controls-echoed",
        "POST",
        EDIT,
        422,
        session_form(title__en=BIDI, title__es=CONTROLS, starts_at="abc"),
        says=BIDI,
    ),
    HostileRequest(
        "session-control-characters-in-title-refused",
        "POST",
        EDIT,
        422,
        session_form(title__es=CONTROLS),
        says=_error("title-es"),
    ),
    HostileRequest(
        "session-nul-in-summary-refused",
        "POST",
        EDIT,
        422,
        session_form(summary__en="before\x00after"),
        says=_error("summary-en"),
    ),
    HostileRequest(
        "session-link-javascript",
        "POST",
        EDIT,
        422,
        session_form(link__en="javascript:alert(1)"),
        says=_error("link-en"),
    ),
    HostileRequest(
        "session-confirming-another-change",
        "POST",
        EDIT,
        200,
        (*session_form(starts_at="2026-12-17T18:00"), ("confirm", "cancelled")),
        says="will get this notice",
    ),
    HostileRequest(
        "session-new-id-path-traversal",
        "POST",
        NEW_SESSION,
        422,
        (("id", "../../etc/passwd"), *session_form()),
        says=_error("id"),
    ),
    HostileRequest(
        "session-new-id-new",
        "POST",
        NEW_SESSION,
        422,
        (("id", "new"), *session_form()),
        says=_error("id"),
    ),
    HostileRequest(
        "session-new-id-taken",
        "POST",
        NEW_SESSION,
        422,
        (("id", SESSION_ID), *session_form()),
        says=_error("id"),
    ),
    HostileRequest("session-unknown-id", "GET", "/admin/catalog/sessions/does-not-exist", 404),
    HostileRequest(
        "session-unknown-id-post",
        "POST",
        "/admin/catalog/sessions/does-not-exist",
        404,
        session_form(),
    ),
    HostileRequest(
        "session-id-path-traversal", "GET", "/admin/catalog/sessions/..%2F..%2Fetc%2Fpasswd", 404
    ),
    HostileRequest("session-id-dot-dot", "GET", "/admin/catalog/sessions/%2e%2e", 404),
    # --- a resource's form
    HostileRequest(
        "resource-kind-unknown",
        "POST",
        RESOURCE,
        422,
        resource_form(kind="malware"),
        says=_error("kind"),
    ),
    HostileRequest(
        "resource-escape-sequence-in-title-refused",
        "POST",
        RESOURCE,
        422,
        resource_form(title__en="Beacons\x1b[2J of Hope"),
        says=_error("title-en"),
    ),
    HostileRequest(
        "resource-link-data",
        "POST",
        RESOURCE,
        422,
        resource_form(link__en="data:text/html,<script>alert(1)</script>"),
        says=_error("link-en"),
    ),
    HostileRequest(
        "resource-link-file",
        "POST",
        RESOURCE,
        422,
        resource_form(link__en="file:///etc/passwd"),
        says=_error("link-en"),
    ),
    HostileRequest(
        "resource-unknown-session",
        "POST",
        RESOURCE,
        422,
        (*resource_form(), ("sessions", "no-such-session")),
        says=_error("sessions"),
    ),
    HostileRequest(
        "resource-summary-100kb-and-no-title",
        "POST",
        RESOURCE,
        422,
        resource_form(summary__en=KB100, title__en=""),
        says=_error("title-en"),
    ),
    HostileRequest(
        "resource-unknown-id", "POST", "/admin/catalog/resources/nothing-here", 404, resource_form()
    ),
    HostileRequest(
        "resource-new-id-with-slash",
        "POST",
        NEW_RESOURCE,
        422,
        (("id", "a/b"), *resource_form()),
        says=_error("id"),
    ),
    # --- importing a file
    HostileRequest(
        "import-without-a-file", "POST", PREVIEW, 422, (("replace", "1"),), says=_error("file")
    ),
    HostileRequest(
        "import-an-executable",
        "POST",
        PREVIEW,
        422,
        upload=("setup.exe", b"MZ\x90\x00"),
        says=_error("file"),
    ),
    HostileRequest(
        "import-name-with-markup-and-path",
        "POST",
        PREVIEW,
        422,
        upload=("../../<img src=x onerror=alert(1)>.yaml", b"sessions: ["),
        says="not valid YAML",
        never="<img src=x",
    ),
    _upload("nested-too-deeply"),
    _upload("billion-laughs"),
    _upload("date-year-9999"),
    _upload("invalid-utf8"),
    _upload("csv-nul-character"),
    _upload("python-object-tag"),
    _upload("link-javascript"),
    HostileRequest(
        "import-over-2-mib",
        "POST",
        PREVIEW,
        413,
        upload=("huge.csv", FILE_CASES["csv-huge-file"].content),
    ),
    HostileRequest(
        "apply-a-tampered-file",
        "POST",
        APPLY,
        422,
        (
            ("format", "yaml"),
            ("name", "catalog.yaml"),
            ("revision", "0"),
            ("content", FILE_CASES["date-year-9999"].content.decode()),
        ),
        says="is out of range",
    ),
    HostileRequest(
        "apply-an-unknown-format",
        "POST",
        APPLY,
        400,
        (("format", "exe"), ("content", "MZ")),
    ),
    # --- broadcasts
    HostileRequest(
        "compose-without-english",
        "POST",
        COMPOSE_PATH,
        400,
        compose(text_en="", text_es="Hola"),
        says=_error("text_en"),
    ),
    HostileRequest(
        "compose-text-100kb",
        "POST",
        COMPOSE_PATH,
        400,
        compose(text_en=KB100),
        says=_error("text_en"),
    ),
    HostileRequest(
        "compose-unknown-language",
        "POST",
        COMPOSE_PATH,
        400,
        (*compose(), ("languages", "fr")),
        says=_error("languages"),
    ),
    HostileRequest(
        "compose-unknown-channel",
        "POST",
        COMPOSE_PATH,
        400,
        (*compose(), ("channels", "carrier-pigeon")),
        says=_error("channels"),
    ),
    HostileRequest(
        "compose-console-channel",
        "POST",
        COMPOSE_PATH,
        400,
        (*compose(), ("channels", "console")),
        says=_error("channels"),
    ),
    HostileRequest(
        "compose-unknown-topic",
        "POST",
        COMPOSE_PATH,
        400,
        (*compose(), ("topics", "' OR 1=1 --")),
        says=_error("topics"),
    ),
    HostileRequest(
        "compose-unknown-reach",
        "POST",
        COMPOSE_PATH,
        400,
        compose(reach="the-world"),
        says=_error("reach"),
    ),
    HostileRequest(
        "compose-when-yesterday",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="yesterday"),
        says=_error("when"),
    ),
    HostileRequest(
        "schedule-in-the-past",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="later", send_at="2026-11-01T10:00"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "schedule-garbage-time",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="later", send_at="tomorrow-ish"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "schedule-year-9999",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="later", send_at="9999-12-31T23:59"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "schedule-year-1",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="later", send_at="0001-01-01T00:00+14:00"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "schedule-without-a-time",
        "POST",
        COMPOSE_PATH,
        400,
        compose(when="later"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "edit-a-draft-into-the-past",
        "POST",
        "/admin/broadcasts/{draft}/edit",
        400,
        compose(when="later", send_at="2020-01-01T10:00"),
        says=_error("send_at"),
    ),
    HostileRequest(
        "send-a-draft-whose-time-has-passed",
        "POST",
        "/admin/broadcasts/{stale}/send",
        409,
        says="The time you chose has passed",
    ),
    HostileRequest("send-an-unknown-broadcast", "POST", "/admin/broadcasts/987654/send", 404),
    HostileRequest(
        "send-a-broadcast-id-too-big", "POST", "/admin/broadcasts/99999999999999999999999/send", 404
    ),
    HostileRequest("cancel-a-negative-id", "POST", "/admin/broadcasts/-1/cancel", 404),
    HostileRequest("edit-an-arabic-digit-id", "GET", "/admin/broadcasts/%D9%A1/edit", 404),
    HostileRequest("progress-of-garbage", "GET", "/admin/api/broadcasts/1e3/progress", 404),
    HostileRequest(
        "counter-not-an-object", "POST", COUNTER, 400, json=["en", "hello"], says="expected"
    ),
    HostileRequest(
        "counter-text-a-number", "POST", COUNTER, 400, json={"texts": {"en": 5}}, says="string"
    ),
    HostileRequest(
        "counter-unknown-language",
        "POST",
        COUNTER,
        400,
        json={"texts": {"xx": "hi"}},
        says="unknown language",
    ),
    HostileRequest(
        "counter-json-nested-deeply",
        "POST",
        COUNTER,
        400,
        body=b"[" * 100_000 + b"]" * 100_000,
        content_type="application/json",
    ),
    # --- subscribers
    HostileRequest(
        "search-sql-quote", "GET", SEARCH + "%27%20OR%20%271%27%3D%271", 200, never=PERSON_NAME
    ),
    HostileRequest(
        "search-drop-table",
        "GET",
        SEARCH + "%27%3B%20DROP%20TABLE%20contacts%3B%20--",
        200,
        never=PERSON_NAME,
    ),
    HostileRequest("search-like-percent", "GET", SEARCH + "%25", 200, never=PERSON_NAME),
    HostileRequest("search-like-underscore", "GET", SEARCH + "___", 200, never=PERSON_NAME),
    HostileRequest("search-nul-character", "GET", SEARCH + "P%00%C3%A9rez", 200, says=PERSON_NAME),
    HostileRequest(
        "search-script",
        "GET",
        SEARCH + "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        200,
        says=SCRIPT,
        never=SCRIPT,
    ),
    HostileRequest("search-100kb", "GET", SEARCH + "x" * 100_000, 400),
    HostileRequest(
        "delete-without-the-checkbox",
        "POST",
        DELETE,
        400,
        says='<p class="field-error" id="confirm-error"',
    ),
    HostileRequest(
        "delete-with-the-checkbox-forged",
        "POST",
        DELETE,
        400,
        (("confirm", "on"),),
        says='<p class="field-error" id="confirm-error"',
    ),
    HostileRequest(
        "delete-an-unknown-person",
        "POST",
        "/admin/subscribers/999999999999/delete",
        404,
        (("confirm", "yes"),),
    ),
    HostileRequest(
        "delete-an-id-too-long",
        "POST",
        "/admin/subscribers/9999999999999999999999/delete",
        404,
        (("confirm", "yes"),),
    ),
    HostileRequest("person-garbage-id", "GET", "/admin/subscribers/abc", 404),
    # --- the simulator
    HostileRequest(
        "simulator-empty-text",
        "POST",
        SIMULATOR,
        400,
        (("text", "   "), ("language", "auto")),
        says="Type a message first",
    ),
    HostileRequest(
        "simulator-unknown-language",
        "POST",
        SIMULATOR,
        400,
        (("text", "hola"), ("language", "xx")),
        says="Choose a language",
    ),
    HostileRequest(
        "simulator-text-100kb",
        "POST",
        SIMULATOR,
        400,
        (("text", KB100), ("language", "es")),
        says="Please shorten it",
    ),
    HostileRequest(
        "simulator-api-text-a-number",
        "POST",
        SIMULATOR_API,
        400,
        json={"text": 5},
        says="as strings",
    ),
    HostileRequest(
        "simulator-api-a-list", "POST", SIMULATOR_API, 400, json=[1, 2], says="not JSON"
    ),
    HostileRequest(
        "simulator-api-not-utf8",
        "POST",
        SIMULATOR_API,
        400,
        body=b'{"text": "\xff\xfe"}',
        content_type="application/json",
        says="not JSON",
    ),
    HostileRequest(
        "simulator-api-nested-deeply",
        "POST",
        SIMULATOR_API,
        400,
        body=b"[" * 100_000 + b"]" * 100_000,
        content_type="application/json",
    ),
    # --- signing in and the language switch
    HostileRequest(
        "sign-in-next-another-site",
        "POST",
        "/admin/login",
        303,
        extra={"password": "right", "next": EVIL + "/admin/"},
        signed_in=False,
        location="/admin/",
    ),
    HostileRequest(
        "sign-in-next-scheme-relative",
        "POST",
        "/admin/login",
        303,
        extra={"password": "right", "next": "//evil.example/admin/"},
        signed_in=False,
        location="/admin/",
    ),
    HostileRequest(
        "sign-in-next-header-injection",
        "POST",
        "/admin/login",
        303,
        extra={"password": "right", "next": "/admin/\r\nSet-Cookie: admin_session=stolen"},
        signed_in=False,
        location="/admin/",
    ),
    HostileRequest(
        "sign-in-without-the-page-token",
        "POST",
        "/admin/login",
        403,
        extra={"password": "right", "csrf": "forged"},
        signed_in=False,
        says='id="login-error"',
    ),
    HostileRequest(
        "sign-in-password-100kb",
        "POST",
        "/admin/login",
        401,
        extra={"password": KB100},
        signed_in=False,
        says='id="login-error"',
    ),
    HostileRequest(
        "language-unknown-and-next-another-site",
        "GET",
        "/admin/language?lang=xx&next=https%3A%2F%2Fevil.example%2F",
        303,
        signed_in=False,
        location="/admin/",
    ),
    HostileRequest(
        "language-next-javascript",
        "GET",
        "/admin/language?lang=es&next=javascript%3Aalert(1)",
        303,
        signed_in=False,
        location="/admin/",
    ),
    HostileRequest(
        "language-next-header-injection",
        "GET",
        "/admin/language?lang=es&next=%2Fadmin%2F%0D%0ASet-Cookie%3A%20x%3Dy",
        303,
        signed_in=False,
        location="/admin/",
    ),
)

CASES = {case.id: case for case in HOSTILE_REQUESTS}
assert len(CASES) == len(HOSTILE_REQUESTS), "case ids are unique"
