# Sourced by ./kiln and ./test: sets KILN_JAVA_HOME to a JDK 25 or newer, or explains what to install.
kiln_java_major() {
  # Prints the major version of the java binary given, or nothing. A JDK's release file says it
  # without starting a JVM (which costs ~0.2 s on every kiln run); asking java is the fallback.
  local release v
  release="$(dirname "$(dirname "$1")")/release"
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release" | head -n1)
    [ -n "$v" ] && { echo "$v"; return; }
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

kiln_find_jdk() {
  local c v
  for c in "${KILN_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(kiln_java_major "$c/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      KILN_JAVA_HOME=$c
      return 0
    fi
  done
  cat >&2 <<'MSG'
kiln needs a JDK 25 or newer and found none ($JAVA_HOME and /usr/lib/jvm were searched).
Install one, for example Eclipse Temurin 25 (package temurin-25-jdk from the Adoptium apt
repository) or any OpenJDK 25 build, then set JAVA_HOME to it.
MSG
  return 1
}
