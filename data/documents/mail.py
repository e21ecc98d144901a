"""Sending an invoice by e-mail over SMTP.

`MailSettings.from_env_or_secrets()` reads the server from the environment (TIERLINE_SMTP_HOST,
_PORT, _TLS, _USER, _PASSWORD, _FROM) or from `[smtp]` in .streamlit/secrets.toml (host, port,
tls, user, password, from); an environment variable wins over the file, key by key. Never from
the configuration document: that one is exported and versioned, a password must not be.

`send_invoice(settings, to, subject, body, attachments)` sends one message and returns, or raises
`DeliveryError` with one sentence saying what the server refused or why it could not be reached.
"""
from __future__ import annotations

import ipaddress
import os
import smtplib
import socket
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from data.documents.branding import check_email
from data.documents.common import clean_text

SECRETS_PATH = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml"
ENV_PREFIX = "TIERLINE_SMTP_"
TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
KEYS = ("host", "port", "tls", "user", "password", "from")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024   # most servers refuse messages above 20–25 MB


class DeliveryError(RuntimeError):
    """The message was not delivered (or not to every recipient); the text says why."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    from_address: str
    port: int = 587
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip() or any(c.isspace() for c in self.host.strip()):
            raise ValueError(f"smtp host must be a host name or address, got {self.host!r}.")
        object.__setattr__(self, "host", self.host.strip())
        if self.tls not in TLS_MODES:
            raise ValueError(f"smtp tls must be one of {', '.join(TLS_MODES)}, got {self.tls!r}.")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise ValueError(f"smtp port must be a whole number from 1 to 65535, got {self.port!r}.")
        check_email(self.from_address, "smtp from")
        if not self.from_address:
            raise ValueError("smtp from must be the sender's e-mail address, such as billing@example.com.")
        if bool(self.user) != bool(self.password):
            raise ValueError("smtp user and password go together: set both or neither.")
        if self.user and self.tls == "none" and not _loopback(self.host):
            raise ValueError(f"smtp tls is 'none' but a user is set: a password is only sent to {self.host} "
                             f"over starttls or ssl.")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or self.timeout <= 0:
            raise ValueError(f"smtp timeout must be a positive number of seconds, got {self.timeout!r}.")

    @classmethod
    def from_env_or_secrets(cls, environ: Mapping[str, str] | None = None,
                            secrets_path: str | Path | None = SECRETS_PATH) -> MailSettings | None:
        """The SMTP settings, or None when no host is configured anywhere (mail is off).
        ValueError with one sentence for a value that is set but wrong."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        source = "[smtp] in secrets.toml"
        if secrets_path is not None and Path(secrets_path).is_file():
            try:
                with Path(secrets_path).open("rb") as fh:
                    table = tomllib.load(fh).get("smtp") or {}
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{secrets_path} is not valid TOML ({exc}).") from None
            if not isinstance(table, dict):
                raise ValueError(f"[smtp] in {secrets_path} must be a table.")
            unknown = sorted(set(table) - set(KEYS))
            if unknown:
                raise ValueError(f"[smtp] in {secrets_path} has unknown key {unknown[0]!r}; "
                                 f"allowed: {', '.join(KEYS)}.")
            values.update({k: v for k, v in table.items() if v not in (None, "")})
            source = f"[smtp] in {secrets_path}"
        for key in KEYS:
            env_value = environ.get(f"{ENV_PREFIX}{key.upper()}")
            if env_value:
                values[key] = env_value
        if not values.get("host"):
            return None
        tls = str(values.get("tls") or "starttls").strip().lower()
        port = values.get("port")
        if port is None:
            port = DEFAULT_PORTS.get(tls, 587)
        elif isinstance(port, str):
            if not port.strip().isdigit():
                raise ValueError(f"smtp port ({ENV_PREFIX}PORT or {source}) must be a whole number, got {port!r}.")
            port = int(port.strip())
        if not values.get("from"):
            raise ValueError(f"smtp from is not set: set {ENV_PREFIX}FROM or 'from' in {source}.")
        return cls(host=str(values["host"]), port=port, tls=tls,  # type: ignore[arg-type]
                   user=str(values["user"]) if values.get("user") else None,
                   password=str(values["password"]) if values.get("password") else None,
                   from_address=str(values["from"]))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _filename(name: str) -> str:
    """An attachment's file name without directories or header-breaking characters."""
    text = clean_text(name).replace("/", "_").replace("\\", "_").strip(" .")
    return text[:120] or "attachment"


def _message(settings: MailSettings, to: list[str], subject: str, body: str,
             attachments: Sequence[tuple[str, bytes, str]]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.from_address
    msg["To"] = ", ".join(to)
    msg["Subject"] = clean_text(subject, 200)      # no line breaks: no header injection
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.from_address.rsplit("@", 1)[-1])
    msg.set_content(body or "")
    total = 0
    for i, item in enumerate(attachments):
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise ValueError(f"attachment {i + 1} must be (filename, bytes, mime type).")
        name, data, mime = item
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError(f"attachment {name!r} must be bytes, got {type(data).__name__}.")
        maintype, sep, subtype = str(mime).partition("/")
        if not sep or not maintype or not subtype or any(c.isspace() for c in str(mime)):
            raise ValueError(f"attachment {name!r} has mime type {mime!r}; expected like application/pdf.")
        total += len(data)
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=_filename(name))
    if total > MAX_ATTACHMENT_BYTES:
        raise ValueError(f"the attachments are {total:,} bytes; at most {MAX_ATTACHMENT_BYTES:,} are sent by mail.")
    return msg


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return clean_text(f"{code} {text}", 200)


def send_invoice(settings: MailSettings, to: str | Sequence[str], subject: str, body: str,
                 attachments: Sequence[tuple[str, bytes, str]] = ()) -> None:
    """Send one message with its attachments [(filename, bytes, mime)] to `to` (one address or
    several). Returns when the server accepted it for every recipient; else DeliveryError."""
    if not isinstance(settings, MailSettings):
        raise ValueError(f"settings must be MailSettings, got {type(settings).__name__}.")
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("a message needs at least one recipient.")
    for addr in recipients:
        if not isinstance(addr, str) or not addr or check_email(addr, "recipient") is None:
            raise ValueError(f"recipient must be an e-mail address such as billing@example.com, got {addr!r}.")
    msg = _message(settings, recipients, subject, body, attachments)
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.tls == "ssl":
            server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with server:
            if settings.tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.user:
                server.login(settings.user, settings.password or "")
            refused = server.send_message(msg, from_addr=settings.from_address, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        addr, (code, text) = next(iter(exc.recipients.items()))
        raise DeliveryError(f"The mail server {where} refused the recipient {addr} ({_reply(code, text)}).") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(f"The mail server {where} refused the sender {settings.from_address} "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}).") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"The mail server {where} refused the user name or password of {settings.user} "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}).") from None
    except smtplib.SMTPNotSupportedError as exc:
        user = "set" if settings.user else "none"
        raise DeliveryError(f"The mail server {where} does not support what the settings ask for "
                            f"(tls {settings.tls}, user {user}): {clean_text(exc, 200)}.") from None
    except smtplib.SMTPDataError as exc:
        raise DeliveryError(f"The mail server {where} refused the message "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}).") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"The mail server {where} answered {_reply(exc.smtp_code, exc.smtp_error)}.") from None
    except ConnectionRefusedError:
        raise DeliveryError(f"Could not connect to the mail server {where}: the connection was refused.") from None
    except TimeoutError:
        raise DeliveryError(f"The mail server {where} did not answer within {settings.timeout:g} seconds.") from None
    except socket.gaierror:
        raise DeliveryError(f"The mail server's host name {settings.host} could not be resolved.") from None
    except ssl.SSLError as exc:
        reason = clean_text(exc.reason or exc, 200)
        raise DeliveryError(f"The TLS handshake with the mail server {where} failed ({reason}).") from None
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):   # smtplib reports a read timeout this way
            raise DeliveryError(f"The mail server {where} did not answer within {settings.timeout:g} "
                                f"seconds.") from None
        raise DeliveryError(f"The mail server {where} closed the connection before the message was sent.") from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = clean_text(exc, 200) or type(exc).__name__
        raise DeliveryError(f"Could not send mail through {where} ({reason}).") from None
    if refused:
        addrs = ", ".join(sorted(refused))
        raise DeliveryError(f"The mail server {where} accepted the message for some recipients but refused {addrs}.")
