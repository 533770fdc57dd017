"""Payload encryption: a Temporal PayloadCodec (AES-256-GCM) and the one DataConverter every
Tempograph entry point uses (worker, GraphClient / `connect`, the HTTP server, CLI commands).

Turned on by configuration, the same for every process of a deployment:

    TEMPOGRAPH_ENCRYPTION_KEYS="k2:<base64 of 32 bytes>,k1:<base64 of 32 bytes>"
    # or a file, one `id:base64key` a line (blank lines and `#` comments skipped):
    TEMPOGRAPH_ENCRYPTION_KEYS_FILE=/run/secrets/tempograph-keys

The first key encrypts; every listed key decrypts (its id is in each payload's metadata,
`encryption-key-id`), so keys rotate by putting a new key first and keeping the old ones until
no run that holds their payloads is kept in Temporal any more. A new key:
`python -c "from tempograph.codec import new_key; print(new_key())"`.

What is encrypted: every payload Temporal stores or carries for Tempograph (run inputs and
results, node tasks and results with the state, interrupts and answers, signals, queries,
updates, memos with checkpoints, the UI's summary and details lines) and failures' messages and
stack traces (DefaultFailureConverterWithEncodedAttributes: a node's exception text may hold
customer data). What stays plaintext: ids (workflow ids carry the thread id, activity ids),
workflow/activity/signal/update type names and node names in event attributes, timestamps,
error types, and the search attributes (TempographStatus, TempographGraph, ... in
tempograph.messages.SEARCH_ATTRIBUTES: a run's status and graph name, which the server must read
to filter). Payloads written before encryption was turned on stay readable (a payload without
the encrypted encoding passes through decode unchanged).

The Temporal UI and CLI show encrypted payloads through a codec server: the HTTP API serves one
at /codec (tempograph/http/codec_server.py).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

__all__ = [
    "ENCODING",
    "KEYS_ENV",
    "KEYS_FILE_ENV",
    "KEY_ID_METADATA",
    "EncryptionCodec",
    "NoKeysCodec",
    "EncryptionConfigError",
    "EncryptionKey",
    "data_converter",
    "keys_from_env",
    "new_key",
    "parse_keys",
]

KEYS_ENV = "TEMPOGRAPH_ENCRYPTION_KEYS"
KEYS_FILE_ENV = "TEMPOGRAPH_ENCRYPTION_KEYS_FILE"
# The metadata of an encrypted payload, as in Temporal's encryption samples (Go, TypeScript,
# Python), so that their codec servers and this one read each other's payloads.
ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class EncryptionConfigError(ValueError):
    """The encryption keys are misconfigured: the message says what to fix (never the key)."""


@dataclass(frozen=True)
class EncryptionKey:
    key_id: str
    key: bytes = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if not KEY_ID.match(self.key_id):
            raise EncryptionConfigError(
                f"Encryption key id {self.key_id!r}: use 1 to 64 letters, digits, '.', '_' or '-'"
            )
        if len(self.key) != KEY_BYTES:
            raise EncryptionConfigError(
                f"Encryption key {self.key_id!r} is {len(self.key)} bytes: AES-256 needs "
                f"{KEY_BYTES} (base64 of 32 random bytes: tempograph.codec.new_key())"
            )


def new_key() -> str:
    """A fresh random key, base64 (what TEMPOGRAPH_ENCRYPTION_KEYS takes after `id:`)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def parse_keys(text: str, *, where: str = KEYS_ENV) -> list[EncryptionKey]:
    """`id:base64key` entries separated by commas or newlines (`#` starts a comment line),
    first one first. Refuses an empty list, a malformed entry and a repeated id."""
    keys: list[EncryptionKey] = []
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep:
            raise EncryptionConfigError(
                f"{where}: an entry without ':' (expected id:base64key, e.g. "
                f"k1:{'A' * 43}=); entries are separated by commas or lines"
            )
        try:
            material = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionConfigError(
                f"{where}: the key of {key_id.strip()!r} is not valid base64"
            ) from None
        key = EncryptionKey(key_id.strip(), material)
        if any(k.key_id == key.key_id for k in keys):
            raise EncryptionConfigError(f"{where}: key id {key.key_id!r} appears twice")
        keys.append(key)
    if not keys:
        raise EncryptionConfigError(f"{where} is set but holds no key")
    return keys


def keys_from_env(environ: Mapping[str, str] | None = None) -> list[EncryptionKey] | None:
    """The keys from TEMPOGRAPH_ENCRYPTION_KEYS or TEMPOGRAPH_ENCRYPTION_KEYS_FILE; None when
    neither is set (no encryption). Both set, or set but empty: refused (a secret that failed
    to load must not silently turn encryption off)."""
    env = os.environ if environ is None else environ
    inline, path = env.get(KEYS_ENV), env.get(KEYS_FILE_ENV)
    if inline is not None and path is not None:
        raise EncryptionConfigError(f"Set {KEYS_ENV} or {KEYS_FILE_ENV}, not both")
    if inline is not None:
        return parse_keys(inline)
    if path is not None:
        if not path.strip():
            raise EncryptionConfigError(f"{KEYS_FILE_ENV} is set but empty")
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise EncryptionConfigError(
                f"{KEYS_FILE_ENV}: cannot read {path}: {exc.strerror}"
            ) from None
        return parse_keys(text, where=f"{KEYS_FILE_ENV} ({path})")
    return None


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole serialized payload (metadata included, so the original
    encoding is hidden too), a random 96-bit nonce per payload. The first key encrypts; any
    key decrypts the payloads that name its id."""

    def __init__(self, keys: Sequence[EncryptionKey]) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise EncryptionConfigError(
                "Payload encryption needs the `cryptography` package: "
                "pip install 'tempograph-hitl[encryption]'"
            ) from None
        if not keys:
            raise EncryptionConfigError("EncryptionCodec needs at least one key")
        ids = [k.key_id for k in keys]
        if len(set(ids)) != len(ids):
            raise EncryptionConfigError(f"Repeated encryption key ids: {ids}")
        self.key_ids = ids
        self._ciphers = {k.key_id: AESGCM(k.key) for k in keys}
        self._current = keys[0].key_id
        self._current_id = keys[0].key_id.encode()

    @property
    def current_key_id(self) -> str:
        return self._current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: self._current_id},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(p) for p in payloads]

    def decode_all(self, payloads: Iterable[Payload]) -> list[Payload]:
        """decode(), synchronously (the codec server's handler)."""
        return [self._decode_one(p) for p in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on, or by another converter
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(
                f"A payload is encrypted with key {key_id!r}, which is not configured (known: "
                f"{', '.join(self.key_ids)}): add it to {KEYS_ENV} after the current key"
            )
        from cryptography.exceptions import InvalidTag

        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None)
        except InvalidTag:
            raise ValueError(
                f"A payload encrypted with key {key_id!r} does not decrypt: it was altered, or "
                "the key configured under that id is not the one that encrypted it"
            ) from None
        return Payload.FromString(plain)


class NoKeysCodec(PayloadCodec):
    """The codec of a process without keys: payloads pass unchanged, and an encrypted one
    (written by processes that have keys) is refused saying what to configure, instead of the
    pydantic converter's "Unknown payload encoding binary/encrypted"."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        for payload in payloads:
            if payload.metadata.get("encoding") == ENCODING:
                key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
                raise EncryptionConfigError(
                    f"A payload is encrypted (key {key_id!r}) and this process has no "
                    f"encryption keys: set {KEYS_ENV} (or {KEYS_FILE_ENV}) as for the workers"
                )
        return list(payloads)


def data_converter(
    keys: Sequence[EncryptionKey] | None = None, *, environ: Mapping[str, str] | None = None
) -> DataConverter:
    """The DataConverter of every Tempograph client and worker: Temporal's pydantic converter,
    plus, when keys are given or configured in the environment (TEMPOGRAPH_ENCRYPTION_KEYS /
    _FILE), the EncryptionCodec and encoded failure messages; without keys, NoKeysCodec."""
    if keys is None:
        keys = keys_from_env(environ)
    if not keys:
        return dataclasses.replace(pydantic_data_converter, payload_codec=NoKeysCodec())
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
