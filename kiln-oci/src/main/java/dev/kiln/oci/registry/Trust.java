package dev.kiln.oci.registry;

import dev.kiln.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS trust: the JDK's authorities, loaded on the first handshake rather than when the client is
 * made (parsing cacerts costs a fresh JVM about 0.1 s, for nothing when the registry speaks plain
 * HTTP), and, for registries with their own authority, the certificates of a PEM file besides.
 * Host names are still checked: the JDK wraps a plain {@link X509TrustManager} with its endpoint
 * identification.
 */
final class Trust {
    private Trust() {}

    /** The JDK's authorities alone. */
    static SSLContext system() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new Lazy()}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static SSLContext withCertificates(Path pem) {
        List<X509Certificate> certs = new ArrayList<>();
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends java.security.cert.Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
            for (java.security.cert.Certificate c : read) certs.add((X509Certificate) c);
        } catch (IOException | CertificateException e) {
            throw new OciException(pem + ": cannot read certificates: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) throw new OciException(pem + ": no certificate in the file (expected PEM, -----BEGIN CERTIFICATE-----)");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < certs.size(); i++) store.setCertificateEntry("ca-" + i, certs.get(i));
            X509TrustManager own = trustManager(store);
            X509TrustManager system = new Lazy();
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new Either(own, system)}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new OciException(pem + ": cannot set up TLS trust: " + e.getMessage(), e);
        }
    }

    private static X509TrustManager trustManager(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        for (TrustManager m : f.getTrustManagers()) if (m instanceof X509TrustManager x) return x;
        throw new GeneralSecurityException("no X509 trust manager");
    }

    /** The JDK's default trust manager, made when it is first needed. */
    private static final class Lazy implements X509TrustManager {
        private X509TrustManager delegate;

        private synchronized X509TrustManager get() throws CertificateException {
            if (delegate == null) {
                try {
                    delegate = trustManager(null);
                } catch (GeneralSecurityException e) {
                    throw new CertificateException("cannot load the JDK's certificate authorities: " + e.getMessage(), e);
                }
            }
            return delegate;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            get().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            get().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return get().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
        }
    }

    /** Trusts a chain the given certificates vouch for, else what the JDK's authorities vouch for. */
    private record Either(X509TrustManager own, X509TrustManager system) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            system.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                own.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                system.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            X509Certificate[] a = own.getAcceptedIssuers(), b = system.getAcceptedIssuers();
            X509Certificate[] out = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }
}
