#!/usr/bin/env python3
"""A deliberately broken TLS 1.3 server (RFC 8446) for hotline's hostile tests.

Speaks just enough TLS 1.3 -- X25519 or P-256 ECDHE (whichever share the
client sent, X25519 first), TLS_AES_128_GCM_SHA256, ECDSA P-256
CertificateVerify -- to reach the point where it misbehaves, chosen by MODE:

  no_cert          EncryptedExtensions + Finished, no Certificate or
                   CertificateVerify, then application data
  cv_before_cert   CertificateVerify before Certificate
  oversized        a record longer than 2^14 + 256 after ServerHello
  garbage          an encrypted-looking record of random bytes after ServerHello
and after a valid handshake, to the record layer:
  key_update_bad   a KeyUpdate whose request_update is 2
  key_update_split a KeyUpdate with another handshake message behind it in
                   the same record
  post_cert        a post-handshake Certificate
  padding_only     a record whose plaintext is all zero padding
  oversized_after  a record longer than 2^14 + 256
  garbage_after    an application-data record of random bytes

Usage: hostile_tls13.py MODE CERT_CHAIN_PEM LEAF_KEY_PEM
Prints the listening port on stdout, serves one connection, exits.
"""

import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HASH = hashlib.sha256


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, HASH).digest()


def hkdf_expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), HASH).digest()
        out += block
        counter += 1
    return out[:length]


def expand_label(secret, label, context, length):
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return hkdf_expand(secret, info, length)


def derive_secret(secret, label, transcript):
    return expand_label(secret, label, HASH(transcript).digest(), 32)


def handshake(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


class Keys:
    """One direction's AEAD key, IV and sequence number (RFC 8446 §5.3)."""

    def __init__(self, secret):
        self.aead = AESGCM(expand_label(secret, b"key", b"", 16))
        self.iv = expand_label(secret, b"iv", b"", 12)
        self.seq = 0

    def seal(self, content_type, plaintext):
        inner = plaintext + bytes([content_type])
        nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2, "big")
        return header + self.aead.encrypt(nonce, inner, header)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("client closed")
        data += chunk
    return data


def recv_record(conn):
    header = recv_exact(conn, 5)
    return header[0], recv_exact(conn, int.from_bytes(header[3:5], "big"))


def client_key_share(client_hello):
    """The client's X25519 (preferred) or P-256 key share from a ClientHello
    handshake message, with its group."""
    body = client_hello[4:]
    pos = 2 + 32
    pos += 1 + body[pos]
    pos += 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 1 + body[pos]
    end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    session_id = body[35:35 + body[34]]
    while pos < end:
        ext_type = int.from_bytes(body[pos:pos + 2], "big")
        ext_len = int.from_bytes(body[pos + 2:pos + 4], "big")
        data = body[pos + 4:pos + 4 + ext_len]
        pos += 4 + ext_len
        if ext_type == 0x0033:
            shares = {}
            i = 2
            while i < len(data):
                group = int.from_bytes(data[i:i + 2], "big")
                klen = int.from_bytes(data[i + 2:i + 4], "big")
                shares[group] = data[i + 4:i + 4 + klen]
                i += 4 + klen
            for group in (0x001d, 0x0017):
                if group in shares:
                    return session_id, group, shares[group]
    raise ValueError("no X25519 or P-256 key share")


def main():
    mode, chain_path, key_path = sys.argv[1:4]
    with open(chain_path, "rb") as f:
        chain = [c.public_bytes(serialization.Encoding.DER)
                 for c in x509.load_pem_x509_certificates(f.read())]
    with open(key_path, "rb") as f:
        leaf_key = serialization.load_pem_private_key(f.read(), password=None)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    conn.settimeout(10)

    _, client_hello = recv_record(conn)
    session_id, group, client_share = client_key_share(client_hello)
    if group == 0x001d:
        server_key = x25519.X25519PrivateKey.generate()
        shared = server_key.exchange(x25519.X25519PublicKey.from_public_bytes(client_share))
        server_share = server_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        server_key = ec.generate_private_key(ec.SECP256R1())
        shared = server_key.exchange(
            ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), client_share))
        server_share = server_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    extensions = (b"\x00\x2b\x00\x02\x03\x04"
                  + b"\x00\x33" + (4 + len(server_share)).to_bytes(2, "big")
                  + group.to_bytes(2, "big") + len(server_share).to_bytes(2, "big") + server_share)
    server_hello = handshake(2, b"\x03\x03" + os.urandom(32) + bytes([len(session_id)]) + session_id
                             + b"\x13\x01\x00" + len(extensions).to_bytes(2, "big") + extensions)
    conn.sendall(b"\x16\x03\x03" + len(server_hello).to_bytes(2, "big") + server_hello)
    transcript = client_hello + server_hello

    if mode == "oversized":
        conn.sendall(b"\x17\x03\x03\x48\x01" + os.urandom(0x4801))
        return drain(conn)
    if mode == "garbage":
        conn.sendall(b"\x17\x03\x03\x00\x40" + os.urandom(0x40))
        return drain(conn)

    early = hkdf_extract(b"\x00" * 32, b"\x00" * 32)
    hs_secret = hkdf_extract(derive_secret(early, b"derived", b""), shared)
    server_hs = derive_secret(hs_secret, b"s hs traffic", transcript)
    out = Keys(server_hs)

    def send(msg):
        nonlocal transcript
        transcript += msg
        conn.sendall(out.seal(22, msg))

    entries = b"".join(len(c).to_bytes(3, "big") + c + b"\x00\x00" for c in chain)
    certificate = handshake(11, b"\x00" + len(entries).to_bytes(3, "big") + entries)

    def certificate_verify():
        content = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00" + HASH(transcript).digest()
        sig = leaf_key.sign(content, ec.ECDSA(hashes.SHA256()))
        return handshake(15, b"\x04\x03" + len(sig).to_bytes(2, "big") + sig)

    def finished():
        key = expand_label(server_hs, b"finished", b"", 32)
        return handshake(20, hmac.new(key, HASH(transcript).digest(), HASH).digest())

    send(handshake(8, b"\x00\x00"))
    if mode == "cv_before_cert":
        send(certificate_verify())
        send(certificate)
    elif mode != "no_cert":
        send(certificate)
        send(certificate_verify())
    send(finished())

    master = hkdf_extract(derive_secret(hs_secret, b"derived", b""), b"\x00" * 32)
    app = Keys(derive_secret(master, b"s ap traffic", transcript))
    recv_record(conn)  # the client's Finished (or an alert)

    if mode == "no_cert":
        conn.sendall(app.seal(23, b"PWNED: unauthenticated application data\n"))
    elif mode == "key_update_bad":
        conn.sendall(app.seal(22, handshake(24, b"\x02")))
    elif mode == "key_update_split":
        ticket = handshake(4, b"\x00\x00\x00\x3c" + b"\x00\x00\x00\x01" + b"\x00" + b"\x00\x01\x07" + b"\x00\x00")
        conn.sendall(app.seal(22, handshake(24, b"\x00") + ticket))
    elif mode == "post_cert":
        conn.sendall(app.seal(22, certificate))
    elif mode == "padding_only":
        conn.sendall(app.seal(0, b"\x00" * 8))
    elif mode == "oversized_after":
        conn.sendall(b"\x17\x03\x03\x48\x01" + os.urandom(0x4801))
    elif mode == "garbage_after":
        conn.sendall(b"\x17\x03\x03\x00\x40" + os.urandom(0x40))
    drain(conn)


def drain(conn):
    """Reads until the client goes away, so it sees our bytes, not a reset."""
    try:
        while conn.recv(4096):
            pass
    except (OSError, EOFError):
        pass


if __name__ == "__main__":
    main()
