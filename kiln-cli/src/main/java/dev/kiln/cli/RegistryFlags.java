package dev.kiln.cli;

import dev.kiln.fs.KilnException;
import dev.kiln.oci.registry.CredentialStore;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.registry.RegistryClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The flags every registry command takes: where credentials come from, TLS and plain HTTP. */
final class RegistryFlags {
    @Option(names = "--creds", paramLabel = "USER[:PASSWORD]", description = "Credentials for the registry (else ~/.docker/config.json, $REGISTRY_AUTH_FILE).")
    String creds;

    @Option(names = "--insecure", description = "Plain HTTP (a local registry without TLS).")
    boolean insecure;

    @Option(names = "--cacert", paramLabel = "PEM", description = "Trust this CA certificate (a registry with its own certificate).")
    Path cacert;

    RegistryClient client(String registry) {
        CredentialStore store = CredentialStore.fromEnvironment();
        if (creds != null) {
            int colon = creds.indexOf(':');
            String user = colon < 0 ? creds : creds.substring(0, colon);
            String pass = colon < 0 ? System.getenv("KILN_REGISTRY_PASSWORD") : creds.substring(colon + 1);
            if (pass == null) throw new KilnException("--creds " + user + ": no password (USER:PASSWORD, or $KILN_REGISTRY_PASSWORD)");
            store = store.with(registry, new Credentials(user, pass));
        }
        RegistryClient.Config c = RegistryClient.Config.defaults().withCredentials(store).withInsecure(insecure);
        if (cacert != null) c = c.withCaCertificates(cacert);
        return RegistryClient.create(c);
    }
}
