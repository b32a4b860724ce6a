from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_variables_and_pass_mark_from_environment(monkeypatch):
    monkeypatch.setenv("CALLQA_VARIABLES", '{"company": {"name": "瑞丰电器", "aliases": ["瑞丰"]}}')
    monkeypatch.setenv("CALLQA_PASS_MARK", "85")
    s = Settings()
    config = s.scoring()
    assert config.default_variables == {"company": ("瑞丰电器", "瑞丰")}
    assert config.pass_mark == 85


def test_unsafe_settings_are_refused(monkeypatch):
    monkeypatch.setenv("CALLQA_PASS_MARK", "150")
    with pytest.raises(ValidationError, match="pass_mark"):
        Settings()
