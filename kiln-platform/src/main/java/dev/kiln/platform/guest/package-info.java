/**
 * Turns an instance's {@code args}, {@code env} and mounts into a guest kernel's command line:
 * {@link dev.kiln.platform.guest.Guest} per guest kind ({@code unikraft}, {@code linux}, from
 * the image's metadata). Each kind quotes the way its kernel's parser reads, and refuses with a
 * {@link dev.kiln.platform.guest.GuestArgsException} naming the field whatever would not reach
 * the guest intact, which the API answers with 400.
 */
package dev.kiln.platform.guest;
