"""Settings of the HTTP API front end and of the image store, mixed into
:class:`orchestrator.settings.Settings` (one class for the deployable; kept apart so that
file stays readable). README "HTTP API" lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode


class ApiSettings(BaseSettings):
    # The front ends this process runs, comma-separated ("telegram,api"); empty: every one
    # installed. A process without Telegram needs no Bot API (an API-only deployment).
    frontends: Annotated[tuple[str, ...], NoDecode] = ()
    # Each client (its address, or API_CLIENT_IP_HEADER behind a proxy) may make this many
    # requests a minute to the API routes that cost something (invoices, checks, refunds).
    api_rate_limit_per_minute: int = Field(default=30, ge=0)
    # Behind a proxy, the header that names the client ("Fly-Client-IP", "X-Forwarded-For":
    # its first address). Unset: the connection's address. Trust it only behind that proxy.
    api_client_ip_header: str | None = None
    # Origins allowed to call the API from a browser ("https://app.example.org", "*").
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The body of a request that carries an image (base64: 4/3 of the image's size).
    api_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=32 * 1024 * 1024)
    # An L402 token (its macaroon) is good for this long after it was minted.
    l402_token_ttl_s: int = Field(default=3600, ge=60, le=7 * 86400)
    # Signs L402 macaroons and image links; every process needs the same one. Unset:
    # derived from TELEGRAM_WEBHOOK_SECRET, which every process shares already.
    api_signing_key: SecretStr | None = None

    # The image store: results (and edit inputs) of API jobs, served by signed links. The
    # local directory serves one machine (or a volume several share); "s3" is a bucket every
    # machine reaches, its links presigned by the bucket (README "HTTP API").
    image_store: Literal["local", "s3"] = "local"
    image_store_path: Path = Path("fulmine-images")
    # IMAGE_STORE=s3: the bucket, its endpoint (unset: AWS) and region, the access key pair
    # (unset: botocore's own chain, e.g. an instance role), and the prefix of every key:
    # the retention sweep deletes old objects under it and nothing else.
    image_s3_bucket: str | None = None
    image_s3_endpoint_url: str | None = None
    image_s3_region: str = "us-east-1"
    image_s3_access_key_id: SecretStr | None = None
    image_s3_secret_access_key: SecretStr | None = None
    image_s3_prefix: str = Field(default="fulmine/", pattern=r"^([A-Za-z0-9._-]+/)*$")
    image_url_ttl_s: int = Field(default=3600, ge=10, le=7 * 86400)  # a signed link's life
    image_retention_days: int = Field(default=7, ge=1, le=365)  # then deleted

    # The Mini App: a page's signed initData (its auth_date) is accepted this long.
    miniapp_auth_max_age_s: int = Field(default=3600, ge=60, le=7 * 86400)

    @field_validator("frontends", "api_cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("image_s3_endpoint_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _s3_complete(self) -> ApiSettings:
        from orchestrator.settings import MissingSetting  # defined beside the whole class

        if self.image_store != "s3":
            return self
        if not (self.image_s3_bucket or "").strip():
            raise MissingSetting("IMAGE_S3_BUCKET", "is required when IMAGE_STORE=s3")
        if (self.image_s3_access_key_id is None) != (self.image_s3_secret_access_key is None):
            raise MissingSetting(
                "IMAGE_S3_SECRET_ACCESS_KEY", "and IMAGE_S3_ACCESS_KEY_ID are set together"
            )
        return self

    @field_validator("api_signing_key")
    @classmethod
    def _signing_key_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be 32 characters or more")
        return value
