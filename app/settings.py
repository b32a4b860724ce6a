"""The one settings object. Every value can be set by a CALLQA_* environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.lexicon.compiler import default_lexicon_dir
from app.models import VariableValue, variable_forms
from app.score.scorer import ScoringConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLQA_", extra="ignore")

    lexicon_dir: Path = Field(default_factory=default_lexicon_dir, description="folder of lexicon YAML files")
    pass_mark: float = Field(default=80.0, ge=0, le=100, description="a call under this score fails")
    base_score: float = Field(default=100.0, gt=0, le=1000, description="score before deductions")
    default_direction: Literal["inbound", "outbound"] = "inbound"
    # Default values for lexicon placeholders, as JSON: {"company": {"name": "瑞丰电器", "aliases": ["瑞丰"]}}
    variables: dict[str, str | list[str] | VariableValue] = Field(default_factory=dict)

    def scoring(self) -> ScoringConfig:
        return ScoringConfig(
            base_score=self.base_score,
            pass_mark=self.pass_mark,
            default_direction=self.default_direction,
            default_variables={k: variable_forms(v) for k, v in self.variables.items() if variable_forms(v)},
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
