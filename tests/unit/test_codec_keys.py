"""tempograph.codec without a server: keys from the environment or a file, refusals, the
codec's round trip, rotation and tamper detection."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from tempograph.codec import (
    ENCODING,
    KEY_ID_METADATA,
    KEYS_ENV,
    KEYS_FILE_ENV,
    EncryptionCodec,
    EncryptionConfigError,
    EncryptionKey,
    NoKeysCodec,
    data_converter,
    keys_from_env,
    new_key,
    parse_keys,
)

K1, K2 = new_key(), new_key()


async def test_no_keys_no_encryption() -> None:
    assert keys_from_env({}) is None
    plain = data_converter(environ={})
    assert isinstance(plain.payload_codec, NoKeysCodec)
    assert plain.payload_converter_class is pydantic_data_converter.payload_converter_class
    [payload] = await plain.encode([{"a": 1}])
    assert payload.metadata["encoding"] == b"json/plain"
    # An encrypted payload read without keys: told what to set, not "unknown encoding".
    [sealed] = await data_converter(environ={KEYS_ENV: f"k7:{K1}"}).encode([{"a": 1}])
    with pytest.raises(EncryptionConfigError, match=f"key 'k7'.*set {KEYS_ENV}"):
        await plain.decode([sealed], [dict])


def test_keys_from_env_first_encrypts() -> None:
    keys = keys_from_env({KEYS_ENV: f" new:{K2} , old:{K1} "})
    assert keys is not None and [k.key_id for k in keys] == ["new", "old"]
    converter = data_converter(environ={KEYS_ENV: f"new:{K2},old:{K1}"})
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.payload_codec.current_key_id == "new"
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes
    # Still the pydantic converter underneath.
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class


def test_keys_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-01\nk2:{K2}\n\nk1:{K1}\n")
    keys = keys_from_env({KEYS_FILE_ENV: str(path)})
    assert keys is not None and [k.key_id for k in keys] == ["k2", "k1"]
    with pytest.raises(EncryptionConfigError, match="cannot read"):
        keys_from_env({KEYS_FILE_ENV: str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({KEYS_ENV: ""}, "holds no key"),
        ({KEYS_ENV: "  ,  "}, "holds no key"),
        ({KEYS_ENV: K1}, "without ':'"),
        ({KEYS_ENV: "k1:not base64!"}, "not valid base64"),
        ({KEYS_ENV: f"k1:{base64.b64encode(b'short').decode()}"}, "5 bytes: AES-256 needs 32"),
        ({KEYS_ENV: f"k1:{K1},k1:{K2}"}, "appears twice"),
        ({KEYS_ENV: f"bad id:{K1}"}, "letters, digits"),
        ({KEYS_ENV: f"k:{K1}", KEYS_FILE_ENV: "/x"}, "not both"),
        ({KEYS_FILE_ENV: " "}, "set but empty"),
    ],
)
def test_refusals(env: dict[str, str], match: str) -> None:
    with pytest.raises(EncryptionConfigError, match=match) as refused:
        keys_from_env(env)
    assert K1 not in str(refused.value) and K2 not in str(refused.value)


def test_a_key_never_shows_in_its_repr() -> None:
    [key] = parse_keys(f"k1:{K1}")
    assert K1 not in repr(key) and repr(base64.b64decode(K1)) not in repr(key)


async def test_round_trip_rotation_and_tampering() -> None:
    old = EncryptionCodec(parse_keys(f"old:{K1}"))
    rotated = EncryptionCodec(parse_keys(f"new:{K2},old:{K1}"))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"secret": "s3cr3t"}')

    [sealed] = await old.encode([plain])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID_METADATA] == b"old"
    assert b"s3cr3t" not in sealed.SerializeToString() and b"json/plain" not in sealed.data
    [again] = await old.encode([plain])
    assert again.data != sealed.data  # a fresh nonce per payload

    assert await rotated.decode([sealed]) == [plain]  # the old key still decrypts
    [resealed] = await rotated.encode([plain])
    assert resealed.metadata[KEY_ID_METADATA] == b"new"
    with pytest.raises(ValueError, match="'new', which is not configured"):
        await old.decode([resealed])

    # Unencrypted payloads (written before encryption was on) pass through.
    assert await rotated.decode([plain]) == [plain]

    tampered = Payload()
    tampered.CopyFrom(sealed)
    tampered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(ValueError, match="does not decrypt"):
        await old.decode([tampered])
    wrong_key = EncryptionCodec([EncryptionKey("old", base64.b64decode(K2))])
    with pytest.raises(ValueError, match="does not decrypt"):
        await wrong_key.decode([sealed])
