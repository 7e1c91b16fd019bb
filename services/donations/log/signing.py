"""The key that signs the log's tree heads (Ed25519).

Production sets ``FNET_DONATIONS_LOG_SIGNING_KEY`` to the base64 of a 32-byte seed
(``fnet log keygen`` prints one). Without it the service makes a key when it starts and
says so in its log: its heads stay verifiable (every public key that ever signed is kept
in ``log_keys`` and served), but each start is then a key rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import SecretStr

logger = logging.getLogger("fnet.donations.log")


def key_id(public_key: bytes) -> str:
    """A key's short name: the first 8 bytes of the SHA-256 of its raw public key, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


class HeadSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    @classmethod
    def from_seed(cls, seed: bytes) -> HeadSigner:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> HeadSigner:
        return cls(Ed25519PrivateKey.generate())


def new_seed() -> str:
    """A fresh key, as the setting takes it."""
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


def load_signer(setting: SecretStr | None) -> HeadSigner:
    if setting is None:
        signer = HeadSigner.generate()
        logger.warning(
            "no log signing key set (FNET_DONATIONS_LOG_SIGNING_KEY); signing with a new "
            "key %s for this run",
            signer.key_id,
        )
        return signer
    try:
        seed = base64.b64decode(setting.get_secret_value(), validate=True)
    except binascii.Error as exc:
        raise ValueError("the log signing key must be base64") from exc
    if len(seed) != 32:
        raise ValueError("the log signing key must be the base64 of 32 bytes")
    return HeadSigner.from_seed(seed)
