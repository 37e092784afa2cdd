package dev.tandem.cli;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The forms of {@code --url} the CLI takes, turned into what the JDBC driver takes. A {@code jdbc:} URL is used as
 * given. A libpq URI ({@code postgresql://} or {@code postgres://}, as psql and {@code tandem sandbox} print it)
 * becomes a {@code jdbc:postgresql:} URL, with its user and password kept apart so that they never end up in a
 * URL that gets printed.
 *
 * @param jdbcUrl  the URL for pgjdbc
 * @param user     the URI's user, or null (a {@code jdbc:} URL keeps its own)
 * @param password the URI's password, or null
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

    static final String FORMS = "jdbc:postgresql://HOST:PORT/DATABASE[?PARAMS],"
            + " postgresql://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?PARAMS] (also postgres://) or"
            + " jdbc:mariadb://HOST:PORT/DATABASE[?PARAMS]";

    /** libpq's URI parameters that pgjdbc has under another name (or the same); others are refused, not dropped. */
    private static final Map<String, String> PARAMETERS = Map.of(
            "sslmode", "sslmode",
            "sslrootcert", "sslrootcert",
            "sslcert", "sslcert",
            "sslkey", "sslkey",
            "application_name", "ApplicationName",
            "connect_timeout", "connectTimeout",
            "options", "options",
            "target_session_attrs", "targetServerType");

    /** libpq's target_session_attrs values in pgjdbc's words. */
    private static final Map<String, String> TARGETS = Map.of(
            "any", "any",
            "read-write", "primary",
            "primary", "primary",
            "read-only", "secondary",
            "standby", "secondary",
            "prefer-standby", "preferSecondary");

    /** {@code url} in the driver's form; an {@link IllegalArgumentException} says what is wrong with it. */
    public static DatabaseUrl parse(String url) {
        String u = url.trim();
        if (u.regionMatches(true, 0, "jdbc:", 0, 5)) return new DatabaseUrl(u, null, null);
        String rest = stripScheme(u);
        if (rest == null) {
            throw new IllegalArgumentException("unsupported database URL (expected " + FORMS + ")");
        }
        return fromLibpq(rest);
    }

    private static String stripScheme(String url) {
        for (String scheme : new String[]{"postgresql://", "postgres://"}) {
            if (url.regionMatches(true, 0, scheme, 0, scheme.length())) return url.substring(scheme.length());
        }
        return null;
    }

    private static DatabaseUrl fromLibpq(String rest) {
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String database = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            database = decode(rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        String user = null;
        String password = null;
        // The last @: a password may contain an unencoded one, a host never does.
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo);
            if (colon >= 0) password = decode(userInfo.substring(colon + 1));
        }
        List<String> hosts = new ArrayList<>();
        if (!rest.isEmpty()) {
            for (String h : rest.split(",", -1)) hosts.add(host(h));
        }

        Map<String, String> jdbcParams = new LinkedHashMap<>();
        String hostParam = null;
        String portParam = null;
        for (String p : query.split("&")) {
            if (p.isEmpty()) continue;
            int eq = p.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("URL parameter '" + decode(p) + "' has no value (write NAME=VALUE)");
            String name = decode(p.substring(0, eq));
            String value = decode(p.substring(eq + 1));
            switch (name) {
                case "user" -> user = value;
                case "password" -> password = value;
                case "dbname" -> database = value;
                case "host" -> hostParam = value;
                case "port" -> portParam = value;
                default -> {
                    String jdbcName = PARAMETERS.get(name);
                    if (jdbcName == null) {
                        throw new IllegalArgumentException("URL parameter '" + name + "' is not supported here (supported: user,"
                                + " password, dbname, host, port, " + String.join(", ", PARAMETERS.keySet().stream().sorted().toList())
                                + "); give it as a jdbc:postgresql: URL parameter instead");
                    }
                    if (name.equals("target_session_attrs")) {
                        value = TARGETS.get(value.toLowerCase(Locale.ROOT));
                        if (value == null) {
                            throw new IllegalArgumentException("target_session_attrs must be one of "
                                    + String.join(", ", TARGETS.keySet().stream().sorted().toList()));
                        }
                    }
                    jdbcParams.put(jdbcName, value);
                }
            }
        }
        if (hostParam != null) {
            hosts.clear();
            hosts.add(host(hostParam));
        }
        if (portParam != null) {
            if (hosts.isEmpty()) hosts.add(host(""));
            List<String> withPort = new ArrayList<>();
            for (String h : hosts) withPort.add(withoutPort(h) + ":" + port(portParam));
            hosts = withPort;
        }
        // pgjdbc cannot use Unix-domain sockets: no host means localhost over TCP, as `jdbc:postgresql:` does too.
        if (hosts.isEmpty()) hosts.add("localhost");

        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(String.join(",", hosts)).append('/');
        jdbc.append(encode(database));
        String sep = "?";
        for (var e : jdbcParams.entrySet()) {
            jdbc.append(sep).append(e.getKey()).append('=').append(encode(e.getValue()));
            sep = "&";
        }
        return new DatabaseUrl(jdbc.toString(), blankToNull(user), password == null || password.isEmpty() ? null : password);
    }

    /** One {@code host[:port]}: a name, an IPv4 address or a bracketed IPv6 address; empty means localhost. */
    private static String host(String spec) {
        String s = decode(spec);
        if (s.startsWith("/")) {
            throw new IllegalArgumentException("a Unix-domain socket (" + s + ") cannot be used from Java;"
                    + " give the host name, e.g. localhost");
        }
        String host = s;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("IPv6 address without its closing ]: " + s);
            host = s.substring(0, close + 1);
            String after = s.substring(close + 1);
            if (after.startsWith(":")) port = after.substring(1);
            else if (!after.isEmpty()) throw new IllegalArgumentException("unexpected text after the IPv6 address: " + s);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0) {
                host = s.substring(0, colon);
                port = s.substring(colon + 1);
            }
        }
        if (host.isEmpty()) host = "localhost";
        if (!host.startsWith("[") && !host.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("not a host name: '" + host + "'");
        }
        return port == null || port.isEmpty() ? host : host + ":" + port(port);
    }

    private static String withoutPort(String host) {
        int close = host.lastIndexOf(']');
        int colon = host.lastIndexOf(':');
        return colon > close ? host.substring(0, colon) : host;
    }

    private static String port(String port) {
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("not a port number: '" + port + "'");
        }
        return port;
    }

    /** libpq's decoding: %XX only ('+' stays a plus, unlike in HTML forms). */
    private static String decode(String s) {
        if (s.indexOf('%') < 0) return s;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            int next = s.indexOf('%', i);
            if (next < 0) next = s.length();
            bytes.writeBytes(s.substring(i, next).getBytes(StandardCharsets.UTF_8));
            if (next == s.length()) break;
            String escape = s.substring(next, Math.min(s.length(), next + 3));
            if (escape.length() < 3 || Character.digit(escape.charAt(1), 16) < 0 || Character.digit(escape.charAt(2), 16) < 0) {
                throw new IllegalArgumentException("invalid %-escape in the URL: '" + escape + "'");
            }
            bytes.write(Integer.parseInt(escape.substring(1), 16));
            i = next + 3;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** pgjdbc decodes the database name and parameter values with {@link java.net.URLDecoder}: encode to match. */
    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
