/**
 * kiln serve: a local platform that speaks the Unikraft Cloud API v1 and runs instances under
 * QEMU. {@code api} is the HTTP layer (envelope, filters, errors), thin over the services
 * ({@code instance}, {@code volume}, {@code image}); {@code rom} stores and composes ROMs,
 * {@code store} keeps the state (SQLite by default, PostgreSQL), {@code vmm} runs guests and
 * {@code guest} turns an instance into a command line (and builds a Linux guest to run).
 */
package dev.kiln.platform;
