package dev.pbkv.server.tls;

import org.bouncycastle.asn1.x509.KeyPurposeId;

/** What a certificate may be presented for: its extended key usages. */
public enum Usage {
    /** TLS server authentication (a node's doors). */
    SERVER(KeyPurposeId.id_kp_serverAuth),
    /** TLS client authentication (a node calling its peer; a client of mutual TLS). */
    CLIENT(KeyPurposeId.id_kp_clientAuth);

    final KeyPurposeId purpose;

    Usage(KeyPurposeId purpose) {
        this.purpose = purpose;
    }
}
