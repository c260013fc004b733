package dev.kiln.oci.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** Self-signed P-256 certificates made with openssl, valid for 127.0.0.1 and localhost. */
final class TestPki {
    private TestPki() {}

    record KeyPair(Path certificate, Path key) {
        X509Certificate x509() throws Exception {
            try (var in = Files.newInputStream(certificate)) {
                return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
        }

        PrivateKey privateKey() throws Exception {
            String pem = Files.readString(key);
            String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
        }
    }

    static KeyPair selfSigned(Path dir, String name) throws IOException, InterruptedException {
        String openssl = Tools.require("openssl", "openssl").toString();
        Path cert = dir.resolve(name + ".pem"), key = dir.resolve(name + "-key.pem");
        Tools.check(60, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        return new KeyPair(cert, key);
    }
}
