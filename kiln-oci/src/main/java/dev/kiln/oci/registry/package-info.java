/**
 * A client of the OCI distribution API (registry v2): authentication (anonymous, basic, bearer
 * tokens), blob and manifest transfer with resumable chunked uploads, cross-repository mounts,
 * verification of everything pulled, bounded retries, and the push and pull of whole images
 * between a registry and an {@link dev.kiln.oci.OciLayout}.
 */
package dev.kiln.oci.registry;
