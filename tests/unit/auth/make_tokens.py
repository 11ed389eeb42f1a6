#!/usr/bin/python3
"""Writes the JWT test vectors for auth_unit_tests, minted by an independent implementation: PyJWT
(Debian's python3-jwt) with keys from python3-cryptography, at build time.

Usage: make_tokens.py OUT.json

Every case names the policy and key set it is checked with, and the expected outcome: "ok" (with the
claims signalbox must read) or the error code of docs/signaling-protocol.md. Times are fixed (NOW), so the
vectors are deterministic but for the keys and signatures.
"""
import base64
import hashlib
import hmac
import json
import sys

import jwt  # PyJWT
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

NOW = 1_700_000_000
LEEWAY = 30
SECRET_A = "old-secret-0123456789abcdefghijklmnop"  # >= 32 bytes, as signalbox requires
SECRET_B = "new-secret-abcdefghijklmnop0123456789"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_pem(private_key) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SMALL_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)
P384_KEY = ec.generate_private_key(ec.SECP384R1())


def claims(**over):
    c = {"sub": "alice", "room": "demo", "iat": NOW - 60, "exp": NOW + 3600}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def hs(payload, kid="hs-b", secret=SECRET_B, headers=None):
    h = {"kid": kid}
    h.update(headers or {})
    return jwt.encode(payload, secret, algorithm="HS256", headers=h)


def raw(header: dict, payload, sign) -> str:
    """A token built by hand: for what PyJWT refuses to make (alg confusion, odd headers, non-object payloads)."""
    head = b64(json.dumps(header).encode())
    body = b64(payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    return f"{head}.{body}.{b64(sign(f'{head}.{body}'.encode()))}"


def hmac_with(secret: bytes):
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


CASES = []


def case(name, token, expect, policy="default", keyset="all", room=None, want=None):
    CASES.append({"name": name, "token": token, "expect": expect, "policy": policy, "keyset": keyset,
                  "room": room, "claims": want})


def valid_cases():
    full = claims(turn=True, name="Alice A.", max_peers=4, meta={"role": "host", "n": [1, 2]})
    case("hs256", hs(full), "ok", room="demo",
         want={"identity": "alice", "room": "demo", "prefix": False, "turn": True, "name": "Alice A.",
               "max_peers": 4, "meta": {"role": "host", "n": [1, 2]}, "kid": "hs-b", "expires": NOW + 3600})
    case("hs256-minimal", hs(claims()), "ok",
         want={"identity": "alice", "room": "demo", "prefix": False, "turn": False, "name": None,
               "max_peers": 0, "meta": None, "kid": "hs-b", "expires": NOW + 3600})
    case("rs256", jwt.encode(claims(sub="bob"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa"}), "ok",
         want={"identity": "bob", "kid": "rsa"})
    case("es256", jwt.encode(claims(sub="carol"), EC_KEY, algorithm="ES256", headers={"kid": "ec"}), "ok",
         want={"identity": "carol", "kid": "ec"})
    case("typ-and-unknown-claims", hs(claims(extra={"x": 1}, jti="abc"), headers={"typ": "JWT"}), "ok")


def rotation_cases():
    # Two HMAC keys at once: tokens of both verify; once the old key is removed, its tokens name an
    # unknown kid.
    case("rotation-old-key", hs(claims(), kid="hs-a", secret=SECRET_A), "ok", want={"kid": "hs-a"})
    case("rotation-new-key", hs(claims(), kid="hs-b", secret=SECRET_B), "ok", want={"kid": "hs-b"})
    case("rotation-old-key-removed", hs(claims(), kid="hs-a", secret=SECRET_A), "token-unknown-kid",
         keyset="new-only")
    case("rotation-new-key-after-removal", hs(claims(), kid="hs-b", secret=SECRET_B), "ok", keyset="new-only")


def signature_cases():
    good = hs(claims())
    head, body, sig = good.split(".")
    forged_body = b64(json.dumps(claims(sub="mallory")).encode())
    case("bad-signature-tampered-payload", f"{head}.{forged_body}.{sig}", "token-bad-signature")
    case("bad-signature-wrong-secret", hs(claims(), kid="hs-b", secret=SECRET_A), "token-bad-signature")
    case("bad-signature-truncated", f"{head}.{body}.{sig[:-3]}", "token-bad-signature")  # 30 of 32 bytes
    case("bad-signature-empty", f"{head}.{body}.", "token-bad-signature")
    case("bad-signature-other-rsa-key",
         jwt.encode(claims(), OTHER_RSA, algorithm="RS256", headers={"kid": "rsa"}), "token-bad-signature")
    es = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec"})
    eh, eb, _ = es.split(".")
    der = EC_KEY.sign(f"{eh}.{eb}".encode(), ec.ECDSA(hashes.SHA256()))  # DER, not JWS's R||S
    case("bad-signature-es256-der-form", f"{eh}.{eb}.{b64(der)}", "token-bad-signature")


def algorithm_cases():
    case("alg-none", jwt.encode(claims(), None, algorithm="none", headers={"kid": "hs-b"}), "token-bad-algorithm")
    case("alg-none-mixed-case", raw({"alg": "nOnE", "kid": "hs-b"}, claims(), lambda d: b""), "token-bad-algorithm")
    rsa_pem = public_pem(RSA_KEY).encode()
    case("alg-confusion-hs256-with-rsa-public-key", raw({"alg": "HS256", "kid": "rsa"}, claims(), hmac_with(rsa_pem)),
         "token-bad-algorithm")
    case("alg-rs256-for-hmac-key", jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "hs-b"}),
         "token-bad-algorithm")
    case("alg-es256-for-rsa-key", jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "rsa"}),
         "token-bad-algorithm")
    case("alg-rs384-for-rsa-key", jwt.encode(claims(), RSA_KEY, algorithm="RS384", headers={"kid": "rsa"}),
         "token-bad-algorithm")
    case("alg-hs512-for-hmac-key", jwt.encode(claims(), SECRET_B, algorithm="HS512", headers={"kid": "hs-b"}),
         "token-bad-algorithm")


def kid_cases():
    case("unknown-kid", hs(claims(), kid="nobody"), "token-unknown-kid")
    case("missing-kid", jwt.encode(claims(), SECRET_B, algorithm="HS256"), "token-unknown-kid")
    case("kid-not-a-string", raw({"alg": "HS256", "kid": 7}, claims(), hmac_with(SECRET_B.encode())),
         "token-unknown-kid")


def time_cases():
    case("expired", hs(claims(exp=NOW - 3600)), "token-expired")
    case("expired-at-leeway-edge", hs(claims(exp=NOW - LEEWAY)), "token-expired")
    case("valid-one-second-inside-leeway", hs(claims(exp=NOW - LEEWAY + 1)), "ok")
    case("valid-fractional-exp", hs(claims(exp=NOW - LEEWAY + 0.5)), "ok")
    case("expired-without-leeway", hs(claims(exp=NOW)), "token-expired", policy="no-leeway")
    case("valid-without-leeway", hs(claims(exp=NOW + 1)), "ok", policy="no-leeway")
    case("nbf-at-leeway-edge", hs(claims(nbf=NOW + LEEWAY)), "ok")
    case("nbf-past-leeway", hs(claims(nbf=NOW + LEEWAY + 1)), "token-not-yet-valid")
    case("iat-at-leeway-edge", hs(claims(iat=NOW + LEEWAY)), "ok")
    case("iat-past-leeway", hs(claims(iat=NOW + LEEWAY + 1)), "token-not-yet-valid")
    case("iat-optional", hs(claims(iat=None)), "ok")
    case("exp-missing", hs(claims(exp=None)), "token-malformed")
    case("exp-a-string", hs(claims(exp=str(NOW + 60))), "token-malformed")
    case("exp-negative", hs(claims(exp=-1)), "token-malformed")
    case("nbf-a-bool", hs(claims(nbf=True)), "token-malformed")


def audience_cases():
    strict = {"aud": "signalbox.test", "iss": "https://issuer.test"}
    case("aud-and-iss-match", hs(claims(**strict)), "ok", policy="strict")
    case("aud-array-contains", hs(claims(aud=["other", "signalbox.test"], iss=strict["iss"])), "ok", policy="strict")
    case("aud-wrong", hs(claims(aud="other", iss=strict["iss"])), "token-wrong-audience", policy="strict")
    case("aud-array-without-ours", hs(claims(aud=["a", "b"], iss=strict["iss"])), "token-wrong-audience",
         policy="strict")
    case("aud-missing", hs(claims(iss=strict["iss"])), "token-wrong-audience", policy="strict")
    case("aud-present-but-none-configured", hs(claims(aud="signalbox.test")), "token-wrong-audience")
    case("iss-wrong", hs(claims(aud=strict["aud"], iss="https://evil.test")), "token-wrong-issuer", policy="strict")
    case("iss-missing", hs(claims(aud=strict["aud"])), "token-wrong-issuer", policy="strict")
    case("iss-unchecked-by-default", hs(claims(iss="https://anyone.test")), "ok")


def room_cases():
    case("room-exact", hs(claims(room="demo")), "ok", room="demo")
    case("room-exact-other-room", hs(claims(room="demo")), "token-wrong-room", room="demo2")
    case("room-exact-is-not-a-prefix", hs(claims(room="dem")), "token-wrong-room", room="demo")
    case("room-prefix", hs(claims(room="team-*")), "ok", room="team-42",
         want={"room": "team-", "prefix": True})
    case("room-prefix-other-room", hs(claims(room="team-*")), "token-wrong-room", room="staff-1")
    case("room-any", hs(claims(room="*")), "ok", room="anything.at_all-1", want={"room": "", "prefix": True})


def malformed_cases():
    good = hs(claims())
    head, body, sig = good.split(".")
    case("empty", "", "token-malformed")
    case("two-parts", f"{head}.{body}", "token-malformed")
    case("four-parts", f"{good}.{sig}", "token-malformed")
    case("bad-base64-character", f"{head}.{body}!.{sig}", "token-malformed")
    case("base64-padding", f"{head}.{body}=.{sig}", "token-malformed")
    case("header-not-json", f"{b64(b'not json')}.{body}.{sig}", "token-malformed")
    case("header-no-alg", raw({"kid": "hs-b"}, claims(), hmac_with(SECRET_B.encode())), "token-malformed")
    case("header-crit", raw({"alg": "HS256", "kid": "hs-b", "crit": ["exp"]}, claims(), hmac_with(SECRET_B.encode())),
         "token-malformed")
    sign = hmac_with(SECRET_B.encode())
    case("payload-an-array", raw({"alg": "HS256", "kid": "hs-b"}, [1, 2], sign), "token-malformed")
    case("payload-not-json", raw({"alg": "HS256", "kid": "hs-b"}, b"{nope", sign), "token-malformed")
    case("sub-missing", hs(claims(sub=None)), "token-malformed")
    case("sub-a-number", hs(claims(sub=42)), "token-malformed")
    case("sub-empty", hs(claims(sub="")), "token-malformed")
    case("sub-control-character", hs(claims(sub="a\nb")), "token-malformed")
    case("sub-too-long", hs(claims(sub="s" * 129)), "token-malformed")
    case("room-missing", hs(claims(room=None)), "token-malformed")
    case("room-bad-characters", hs(claims(room="a b")), "token-malformed")
    case("room-star-inside", hs(claims(room="a*b")), "token-malformed")
    case("room-too-long", hs(claims(room="r" * 65)), "token-malformed")
    case("max-peers-zero", hs(claims(max_peers=0)), "token-malformed")
    case("max-peers-fraction", hs(claims(max_peers=2.5)), "token-malformed")
    case("max-peers-a-string", hs(claims(max_peers="3")), "token-malformed")
    case("turn-a-string", hs(claims(turn="yes")), "token-malformed")
    case("name-too-long", hs(claims(name="n" * 65)), "token-malformed")
    case("meta-too-large", hs(claims(meta={"blob": "m" * 1100})), "token-malformed")
    case("too-large", hs(claims(pad="p" * 4000)), "token-malformed")


def main():
    valid_cases()
    rotation_cases()
    signature_cases()
    algorithm_cases()
    kid_cases()
    time_cases()
    audience_cases()
    room_cases()
    malformed_cases()
    out = {
        "generator": f"PyJWT {jwt.__version__}",
        "now": NOW,
        "keys": [
            {"kid": "hs-a", "secret": SECRET_A},
            {"kid": "hs-b", "secret": SECRET_B},
            {"kid": "rsa", "pem": public_pem(RSA_KEY)},
            {"kid": "ec", "pem": public_pem(EC_KEY)},
        ],
        "keysets": {"all": ["hs-a", "hs-b", "rsa", "ec"], "new-only": ["hs-b", "rsa", "ec"]},
        "policies": {
            "default": {"leeway": LEEWAY},
            "no-leeway": {"leeway": 0},
            "strict": {"leeway": LEEWAY, "audience": "signalbox.test", "issuer": "https://issuer.test"},
        },
        # Keys signalbox must refuse to load.
        "bad_keys": [
            {"why": "RSA under 2048 bits", "pem": public_pem(SMALL_RSA)},
            {"why": "EC not on P-256", "pem": public_pem(P384_KEY)},
            {"why": "a private key", "pem": EC_KEY.private_bytes(serialization.Encoding.PEM,
                                                                  serialization.PrivateFormat.PKCS8,
                                                                  serialization.NoEncryption()).decode()},
        ],
        "cases": CASES,
    }
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
