"""Typed, validated settings: the defaults below, a user file, then VOICEBOT_* variables.

The classes here are the one source of every default; `voicebot.yml` beside this module lists
them with what each means (a test keeps it in step). Precedence (last wins): these defaults,
the file given with `--config` (or `VOICEBOT_CONFIG`), then environment variables such as
`VOICEBOT_SERVER__PORT=9000` (section and key separated by a double underscore).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, validator

DEFAULTS_FILE = Path(__file__).with_name("voicebot.yml")  # the defaults, documented
ENV_PREFIX = "VOICEBOT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A configuration problem, phrased as one line for the operator."""


def _ip_network(cls: type, value: str) -> str:
    """An address list item: an IP network such as 10.0.0.0/8 (ValueError says what is wrong)."""
    ipaddress.ip_network(value, strict=False)
    return value


class Section(BaseModel):
    class Config:
        extra = Extra.forbid
        validate_assignment = True

    @validator("*", pre=True)
    def _path_not_empty(cls, value: Any, field: Any) -> Any:
        # pydantic reads "" as Path("."), the project folder: a model or database path left
        # empty would then fail far from the config, as a confusing OSError.
        if field.type_ is Path and isinstance(value, str) and not value.strip():
            raise ValueError("an empty path; give a file or folder name (or null where allowed)")
        return value


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    shutdown_timeout_s: float = Field(10.0, ge=0, le=3600)
    public_url: str = ""  # how telephony providers reach us, e.g. https://bot.example.com
    metrics_allow: list[str] = ["127.0.0.1/32", "::1/128"]  # who may read /metrics (loopback always)
    max_body_kb: int = Field(1024, ge=16, le=65536)  # larger request bodies get 413
    rate_limit_per_min: int = Field(600, ge=1, le=1_000_000)  # webhook POSTs per address per minute
    login_rate_per_min: int = Field(30, ge=1, le=10_000)  # login attempts per address per minute
    websockets_per_address: int = Field(20, ge=1, le=10_000)  # open console/browser sockets per address
    header_timeout_s: float = Field(10.0, ge=0.1, le=300)  # a request's headers must be in by then; else 408
    max_line_size: int = Field(8190, ge=256, le=65536)  # request line bytes; beyond: 414
    max_field_size: int = Field(8190, ge=256, le=65536)  # bytes of one header line; beyond: 431

    _network = validator("metrics_allow", each_item=True, allow_reuse=True)(_ip_network)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class PathsSettings(Section):
    models_dir: Path = Path("models")
    data_dir: Path = Path("var")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else PROJECT_ROOT / path


class SttSettings(Section):
    backend: Literal["auto", "vosk", "pocketsphinx"] = "auto"
    vosk_model_path: Path = Path("models/vosk-model-small-en-us-0.15")
    vad_aggressiveness: int = Field(2, ge=0, le=3)
    speech_start_ms: int = Field(120, ge=10, le=2000)
    end_silence_ms: int = Field(500, ge=100, le=5000)
    max_utterance_s: float = Field(20.0, ge=1, le=120)
    no_input_timeout_s: float = Field(8.0, ge=1, le=120)
    domain_language_model: bool = True
    domain_lm_path: Path = Path("models/domain-lm/domain.lm.bin")  # built by `voicebot train`
    # pocketsphinx, telephone (8 kHz) calls: MLLR channel transform, used when the file exists
    mllr_path: Path | None = Path("models/domain-lm/telephone.mllr")
    preroll_ms: int = Field(300, ge=0, le=2000)
    noise_gate_db: float = Field(3.0, ge=0, le=30)
    workers: int = Field(2, ge=1, le=64)  # recognition worker processes (one per core)
    warm_recognizers: int = Field(4, ge=0, le=200)  # 8 kHz decoders each worker keeps ready
    # The neural model that writes each turn's final transcript (pocketsphinx keeps the partials).
    final_backend: Literal["auto", "none", "whisper-tiny.en", "whisper-base", "moonshine-base"] = "auto"
    final_window_s: float = Field(10.0, ge=1, le=30)  # Whisper's shortest encoder window
    speculate_after_ms: int = Field(200, ge=0, le=5000)  # start the final pass at a pause this long; 0: off
    alternatives: int = Field(5, ge=0, le=16)  # beam width for another reading of a turn not understood; 0: off


class TtsSettings(Section):
    voice: str = "en-us"
    rate_wpm: int = Field(175, ge=80, le=400)
    pitch: int = Field(50, ge=0, le=99)
    volume: float = Field(1.0, ge=0.0, le=1.0)
    workers: int = Field(2, ge=1, le=16)
    tail_worker_nice: int = Field(10, ge=0, le=19)  # the first-chunk worker runs at nice 5
    cache_dir: Path = Path("tts-cache")  # under paths.data_dir unless absolute
    memory_cache_items: int = Field(512, ge=0, le=100_000)
    disk_cache_max_mb: int = Field(256, ge=0, le=1_000_000)  # 0 = unlimited
    first_chunk_max_words: int = Field(10, ge=0, le=100)  # 0 = never cut the first sentence
    date_order: Literal["mdy", "dmy"] = "mdy"  # how 03/04/2025 is read
    request_timeout_s: float = Field(10.0, gt=0, le=120)  # a worker slower than this is replaced
    # The voice (docs/speaking.md): pyttsx3 = espeak-ng, embedded; the others are fetched by the set-up.
    engine: Literal["pyttsx3", "piper", "festival", "flite"] = "pyttsx3"
    piper_voice: str = "en_US-joe-medium"
    piper_speed: float = Field(1.0, ge=0.5, le=2.0)  # > 1 speaks faster
    festival_voice: str = "cmu_us_slt_arctic_hts"
    festival_speed: float = Field(1.0, ge=0.5, le=2.0)
    flite_voice: str = "kal16"
    flite_speed: float = Field(1.0, ge=0.5, le=2.0)
    digit_group_pause_ms: int = Field(250, ge=0, le=1000)  # silence between digit groups, every engine
    level_dbfs: float = Field(-20.0, ge=-40, le=-6)  # active-speech RMS every voice is levelled to
    prerendered_dir: Path = Path("models/tts-prerendered")  # `voicebot train` renders fixed lines here


class NluSettings(Section):
    project_dir: Path = Path("nlu")
    model_dir: Path = Path("models/rasa")
    turn_timeout_s: float = Field(5.0, gt=0, le=60)
    datasets_dir: Path = Path("nlu/datasets")  # Banking77 / CLINC150 / NLU++ for training (in the repository)
    reload_check_s: float = Field(5.0, ge=0, le=3600)  # 0: never look for a newer model
    # Rasa's tracker and lock stores in this Redis (RedisTrackerStore / RedisLockStore), so a
    # conversation's history is not only in one machine's memory; "" = in memory.
    redis_url: str = ""


class CallSettings(Section):
    max_call_s: float = Field(1800.0, ge=10, le=86400)
    barge_in_min_speech_ms: int = Field(700, ge=0, le=5000)
    barge_in_min_words: int = Field(2, ge=1, le=10)
    no_input_reprompts: int = Field(1, ge=0, le=5)
    twilio_auth_token: str = ""  # validates X-Twilio-Signature when set
    stream_secret: str = ""  # key signing per-call stream tokens; "" = generated into data_dir
    audiosocket_port: int = Field(9092, ge=0, le=65535)  # 0 disables the AudioSocket listener
    audiosocket_allow: list[str] = ["127.0.0.1/32", "::1/128"]  # peers allowed to connect
    # Calls beyond this hear a "lines are busy" message instead of a slow bot for everyone.
    max_concurrent_calls: int = Field(30, ge=1, le=10000)
    # headroom: also turn callers away while the calls in progress are served late (below)
    admission: Literal["headroom", "count"] = "headroom"
    admit_max_loop_lag_ms: float = Field(40.0, gt=0, le=10000)
    admit_max_late_frame_pct: float = Field(0.1, ge=0, le=100)
    admit_max_final_delay_ms: float = Field(300.0, gt=0, le=60000)

    _network = validator("audiosocket_allow", each_item=True, allow_reuse=True)(_ip_network)


class EscalationSettings(Section):
    store: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str = "redis://127.0.0.1:6379/0"
    business_hours: str = "Mon-Fri 08:00-20:00"
    timezone: str = "UTC"
    transfer_target: str = ""  # phone number or SIP URI; empty = the agent console
    # Per queue (priority): e.g. {urgent: "+15550001111"}; a queue not named uses transfer_target.
    transfer_targets: dict[Literal["urgent", "complaint", "normal"], str] = {}
    hold_announce_interval_s: float = Field(30.0, ge=5, le=600)
    sqlite_path: Path = Path("escalation.sqlite3")  # queue, tickets, callbacks, agents (under data_dir)
    redis_prefix: str = "esc:"  # key prefix (and pub/sub channel prefix) in Redis
    answer_timeout_s: float = Field(20.0, ge=1, le=600)  # an accepted call unanswered this long goes back
    default_handle_time_s: float = Field(240.0, ge=10, le=7200)  # wait estimate before any history
    session_ttl_s: float = Field(28800.0, ge=60, le=7 * 86400)  # console login lifetime
    session_idle_s: float = Field(1800.0, ge=60, le=7 * 86400)  # a session unused this long ends
    audit_retention_days: int = Field(365, ge=1, le=3650)  # audit trail entries older than this are dropped
    cookie_secure: bool = False  # set true behind HTTPS so the session cookie is never sent in clear
    spool_path: Path = Path("escalation-spool.sqlite3")  # local: callbacks/tickets kept while the store is down

    @validator("transfer_target", "transfer_targets", pre=True, each_item=True)
    def _number_as_text(cls, value: Any) -> Any:
        # YAML (the config file, and VOICEBOT_* values) reads +15550009999 as a number and
        # drops the "+": refuse it rather than dial a different number.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError("write the number in quotes, e.g. '+15550009999' (YAML reads it as a "
                             "number otherwise and drops the +)")
        return value


class RecordsSettings(Section):
    # "" = the SQLite file data_dir/calls.db; postgresql://user:password@host/db = one history
    # shared by several bot machines; sqlite:///path = another SQLite file.
    url: str = ""

    @validator("url")
    def _known_engine(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://", "sqlite:///")):
            raise ValueError("use postgresql://user:password@host/db, sqlite:///path, or empty")
        return value


class ClusterSettings(Section):
    # How the other bot machines reach this one's HTTP port (e.g. http://10.0.0.5:8080), so an
    # agent on any machine can talk to a caller held here; "" = agents must use this machine.
    advertise_url: str = ""
    # Shared by every machine: signs the agent audio one machine relays to another ("" = off).
    peer_secret: str = ""
    # On SIGTERM, /readyz says "not ready" this long, calls still taken, before the listener
    # closes: behind a load balancer, (fall + 1) x its check interval. 0: stop at once.
    drain_notice_s: float = Field(0.0, ge=0, le=600)


class TelemetrySettings(Section):
    otlp_endpoint: str = ""  # OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces; "" = no tracing
    service_name: str = Field("voicebot", min_length=1)  # the service.name of every trace


class RecordingSettings(Section):
    """Call recordings (docs/recordings.md): off unless the operator turns them on, because the
    consent wording and the legal basis are theirs to set."""

    mode: Literal["off", "all", "escalated"] = "off"  # escalated: keep only calls that reached a person
    dir: Path = Path("recordings")  # under paths.data_dir unless absolute
    retention_days: int = Field(90, ge=1, le=3650)  # purged daily
    encryption_key: str = ""  # a Fernet key (`voicebot recordings key`); "" = FLAC files in clear
    consent_announcement: str = ("This call may be recorded for quality and training. "
                                 "Say no recording, or press 9, if you do not agree.")
    consent_decline_phrases: list[str] = ["no recording", "do not record", "don't record"]
    consent_decline_key: str = "9"  # "" = no key declines
    consent_declined_reply: str = "Understood. This call will not be recorded."
    keypad_pause_s: float = Field(3.0, ge=0.5, le=30)  # keypad entry pauses recording until this long after the last key

    @validator("encryption_key")
    def _fernet_key(cls, value: str) -> str:
        if value:
            from cryptography.fernet import Fernet

            try:
                Fernet(value.encode())
            except ValueError:
                raise ValueError("not a Fernet key (32 url-safe base64-encoded bytes); make one with "
                                 "`voicebot recordings key`") from None
        return value

    @validator("consent_decline_key")
    def _one_key(cls, value: str) -> str:
        if value not in ("", *"0123456789*#"):
            raise ValueError("one keypad key (0-9, * or #), or empty")
        return value


class ReviewSettings(Section):
    """Learning from real calls (docs/review.md): what the Review page lists, where candidate
    models and the promoted ones' history are kept, and the phrase list corrections go to."""

    low_confidence: float = Field(0.75, ge=0, le=1)  # an understood turn below this is listed
    similar: float = Field(0.7, gt=0, le=1)  # sentence-vector cosine that groups two utterances
    days: int = Field(30, ge=1, le=3650)  # the Review page's default window
    candidates_dir: Path = Path("models/candidates")  # a candidate model and its test report
    history_dir: Path = Path("models/history")  # the models promoted before, for rollback
    keep_models: int = Field(5, ge=1, le=100)  # promoted models kept in history
    phrase_list: Path = Path("stt/phone_phrases.txt")  # corrected words go here (speech LM)


class Settings(Section):
    server: ServerSettings = ServerSettings()
    logging: LoggingSettings = LoggingSettings()
    paths: PathsSettings = PathsSettings()
    stt: SttSettings = SttSettings()
    tts: TtsSettings = TtsSettings()
    nlu: NluSettings = NluSettings()
    calls: CallSettings = CallSettings()
    escalation: EscalationSettings = EscalationSettings()
    records: RecordsSettings = RecordsSettings()
    cluster: ClusterSettings = ClusterSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    recording: RecordingSettings = RecordingSettings()
    review: ReviewSettings = ReviewSettings()

    @validator("*", pre=True)
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    def path(self, path: Path) -> Path:
        """An absolute path for a configured (possibly project-relative) path."""
        return self.paths.resolve(path)

    def data_path(self, path: Path) -> Path:
        """An absolute path for a file kept under `paths.data_dir` (databases, caches)."""
        return path if path.is_absolute() else self.path(self.paths.data_dir) / path


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read it ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path}{where}: not valid YAML") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping of sections at the top level")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(
                f"environment variable {name}: expected {ENV_PREFIX}SECTION__KEY, "
                f"e.g. {ENV_PREFIX}SERVER__PORT"
            )
        overrides.setdefault(parts[0], {})[parts[1]] = _env_value(parts[0], parts[1], raw)
    return overrides


def _env_value(section: str, key: str, raw: str) -> Any:
    """Text fields take the variable as it is ("+15550001111" stays text); others are read as
    YAML so "true", "8080" and "[a, b]" get their types, which pydantic then validates."""
    model = Settings.__fields__.get(section)
    field = model.type_.__fields__.get(key) if model is not None else None
    if field is not None and field.outer_type_ in (str, Path):
        return raw
    try:
        return yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        return raw


def _describe(error: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in error["loc"] if p != "__root__"]
    if "__key__" in loc:
        where = ".".join(loc[: loc.index("__key__")])
        return f"config key '{where}' has a bad key: {error['msg']}"
    key = ".".join(loc)
    value: Any = data
    for part in loc:
        if isinstance(value, dict):
            value = value.get(part, "<missing>")
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = "<missing>"
    kind = error["type"]
    if kind == "value_error.extra":
        model: type[BaseModel] = Settings
        for part in loc[:-1]:
            model = model.__fields__[part].type_
        return f"unknown config key '{key}'; allowed keys: {', '.join(sorted(model.__fields__))}"
    return f"config key '{key}' has bad value {value!r}: {error['msg']}"


def load_settings(
    config_file: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Load and validate settings, or raise ConfigError with a one-line message."""
    environ = dict(os.environ) if environ is None else environ
    data: dict[str, Any] = {}
    user_file = config_file or (
        Path(environ[ENV_PREFIX + "CONFIG"]) if environ.get(ENV_PREFIX + "CONFIG") else None
    )
    if user_file is not None:
        data = _read_yaml(user_file)
    data = _merge(data, _env_overrides(environ))
    try:
        return Settings.parse_obj(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc.errors()[0], data)) from None
