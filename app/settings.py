"""The one settings object. Every value can be set by a CALLQA_* environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from app.errors import ConfigError
from app.lexicon.compiler import default_lexicon_dir
from app.models import VariableValue, variable_forms
from app.score.scorer import ScoringConfig
from app.store.days import zone_named


class ApiKey(BaseModel):
    """A key as the settings hold it: its SHA-256, never the key itself (`callqa key new`)."""

    name: str
    role: Literal["ingest", "read", "admin"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLQA_", extra="ignore", allow_inf_nan=False)

    lexicon_dir: Path = Field(default_factory=default_lexicon_dir, description="folder of lexicon YAML files")
    pass_mark: float = Field(default=80.0, ge=0, le=100, description="a call under this score fails")
    base_score: float = Field(default=100.0, gt=0, le=1000, description="score before deductions")
    default_direction: Literal["inbound", "outbound"] = "inbound"
    # Default values for lexicon placeholders, as JSON: {"company": {"name": "瑞丰电器", "aliases": ["瑞丰"]}}
    variables: dict[str, str | list[str] | VariableValue] = Field(default_factory=dict)
    # The service: an SQLite file by default; postgresql://user@host/db for production.
    database_url: str = "sqlite:///callqa.db"
    # Which speaker is the agent, per input format, as JSON: {"aliyun": "0", "tencent": "1"}.
    # Formats not named here (and without roles of their own) have the agent inferred.
    agent_speakers: dict[str, str] = Field(default_factory=dict)
    # The center's time zone: what a "day" is in summaries and statistics, and the zone of
    # call times sent without an offset.
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone name of the call center")
    # The center's standard scripts (标准话术), as JSON: {"greeting": ["{number}号为您服务{greeting}{company}售后…"]};
    # they replace the lexicon's for the rules they name, and a call's variables.scripts replace them
    scripts: dict[str, list[str]] = Field(default_factory=dict)
    api_keys: list[ApiKey] = Field(default_factory=list)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="largest request body accepted")
    # A folder the worker processes of one service share (the lexicon in use). `callqa serve`
    # makes one for its workers; set it to run several `callqa serve` on one host as one.
    run_dir: Path | None = Field(default=None, description="folder shared by the service's workers")
    # How long a transaction of stored calls may wait for calls still being scored (0: never)
    write_linger_ms: float = Field(default=10.0, ge=0, le=1000,
                                   description="longest wait of a write for calls still being scored, in ms")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone_named(name)  # raises ConfigError with what to write instead
        return name

    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    def hints(self):
        """What reading other formats takes from the settings (app.ingest.formats.Hints)."""
        from app.ingest.formats import Hints

        company = variable_forms(self.variables["company"]) if "company" in self.variables else ()
        return Hints(agents=dict(self.agent_speakers), company=company)

    def scoring(self) -> ScoringConfig:
        return ScoringConfig(
            base_score=self.base_score,
            pass_mark=self.pass_mark,
            default_direction=self.default_direction,
            default_variables={k: variable_forms(v) for k, v in self.variables.items() if variable_forms(v)},
            scripts={k: tuple(v) for k, v in self.scripts.items()},
        )


def load_settings(**overrides) -> Settings:
    """Settings from the CALLQA_* environment, with `overrides` (command-line options) on top.
    A value that cannot be used raises ConfigError naming its variable and what is wrong."""
    try:
        return Settings(**overrides)
    except SettingsError as exc:
        field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else ""
        name = f"CALLQA_{field.upper()}" if field else "a CALLQA_* variable"
        raise ConfigError(f"{name} is not valid JSON; {_HINTS.get(field, 'see README.md, Settings')}") from None
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:5]:
            field = str(err["loc"][0]) if err["loc"] else ""
            where = ".".join(str(x) for x in err["loc"][1:])
            name = f"CALLQA_{field.upper()}" + (f" ({where})" if where else "")
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            parts.append(f"{name}: {msg}" + (f" (got {err['input']!r})" if not isinstance(err["input"], (dict, list))
                                              and err["type"] != "missing" else ""))
        raise ConfigError("settings refused: " + "; ".join(parts)) from None


_HINTS = {
    "agent_speakers": 'write it as {"aliyun": "0", "tencent": "1"}: the agent\'s speaker label per format',
    "variables": 'write it as {"company": {"name": "瑞丰电器", "aliases": ["瑞丰"]}}',
    "api_keys": 'write it as [{"name": "...", "role": "ingest", "sha256": "..."}] (callqa key new prints entries)',
    "scripts": 'write it as {"greeting": ["{number}号为您服务{greeting}{company}售后很高兴为您服务"]}: rule id -> scripts',
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
