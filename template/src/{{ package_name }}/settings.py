"""Service configuration, read from the environment (and `.env`) and checked at start-up."""

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(Exception):
    """Raised with one message that lists every invalid setting."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    environment: Environment = Environment.DEVELOPMENT
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    host: str = "0.0.0.0"  # noqa: S104 - the service runs in a container
    port: int = Field(default=8000, ge=1, le=65535)
    web_concurrency: int = Field(default=1, ge=1, le=64)
    shutdown_timeout_seconds: int = Field(default=20, ge=1)
    forwarded_allow_ips: str = "127.0.0.1"
    cors_origins: Annotated[list[str], NoDecode] = []
    trusted_hosts: Annotated[list[str], NoDecode] = ["*"]
    docs_enabled: bool | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    health_check_timeout_seconds: float = Field(default=2.0, gt=0)
    access_log_quiet_paths: Annotated[list[str], NoDecode] = ["/health/live", "/health/ready"]
    secret_key: SecretStr = SecretStr("")

    @field_validator("cors_origins", "trusted_hosts", "access_log_quiet_paths", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_is_strong_in_production(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("environment") is not Environment.PRODUCTION:
            return value
        secret = value.get_secret_value()
        if secret.lower() in PLACEHOLDER_SECRETS:
            raise ValueError("must be set to a generated value in production")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters in production")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_cors_in_production(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("environment") is Environment.PRODUCTION and "*" in value:
            raise ValueError("must list explicit origins in production, not '*'")
        return value

    @property
    def show_docs(self) -> bool:
        """Docs are on by default except in production."""
        if self.docs_enabled is None:
            return self.environment is not Environment.PRODUCTION
        return self.docs_enabled

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.environment is Environment.PRODUCTION
        return self.log_format == "json"


def describe_errors(error: ValidationError) -> str:
    """One message naming every invalid setting by its environment variable."""
    lines = [f"Invalid configuration ({error.error_count()} problem(s)):"]
    for problem in error.errors():
        variable = "_".join(str(part) for part in problem["loc"]).upper() or "SETTINGS"
        lines.append(f"  - {variable}: {problem['msg']}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one readable SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None
