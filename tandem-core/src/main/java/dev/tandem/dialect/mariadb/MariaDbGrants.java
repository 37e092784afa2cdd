package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The global and database privileges this session has, read from {@code SHOW GRANTS}: unlike
 * information_schema.USER_PRIVILEGES and SCHEMA_PRIVILEGES, which list the login's own grants only (measured on
 * 11.4), it lists those of the enabled roles and of {@code PUBLIC} too. Grants on single tables, columns and routines
 * are left out: Tandem needs its privileges on whole databases (every table gets a view in the version database).
 *
 * <p>A database grant names a pattern ({@code _} and {@code %} wildcards, {@code \} escaping them; "GRANT" in the
 * MariaDB manual). Of one grantee's database grants the server uses only the first that matches, in its order of
 * specificity, which is the order SHOW GRANTS lists them in ("Access Control, Stage 2" in the MySQL manual; measured:
 * a grant on {@code `app_v`.*} hides one on {@code `app\_%`.*} for app_v). Grantees (the login, each role, PUBLIC) add up.
 */
final class MariaDbGrants {
    /**
     * One {@code GRANT ... ON db.* | *.*} line; {@code database} null for a global grant. {@code revoke}: MySQL's partial
     * revoke, {@code REVOKE ... ON db.* FROM ...}, which takes a global privilege away on that one database (with
     * partial_revokes on; "Privilege Restriction Using Partial Revokes", 8.2.12 of the MySQL 8.4 manual).
     */
    record Grant(String grantee, Set<String> privileges, String database, boolean revoke) {
    }

    private final List<Grant> grants;
    private final List<Grant> revokes;

    MariaDbGrants(List<Grant> grants) {
        this.grants = grants.stream().filter(g -> !g.revoke()).toList();
        this.revokes = grants.stream().filter(g -> g.revoke() && g.database() != null).toList();
    }

    /**
     * This session's grants, as {@code SHOW GRANTS} lists them. MySQL's SHOW GRANTS lists a role granted to the login
     * ({@code GRANT `r`@`%` TO ...}) but not the role's privileges unless asked with USING ("SHOW GRANTS Statement",
     * 15.7.7.22 of the MySQL 8.4 manual): there the session's active roles ({@code CURRENT_ROLE()}, "Information
     * Functions") are named in {@link #showGrants}.
     */
    static MariaDbGrants read(Connection c, MariaDbDialect.Flavor flavor) throws SQLException {
        String activeRoles = null;
        if (flavor == MariaDbDialect.Flavor.MYSQL) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_ROLE()")) {
                activeRoles = rs.next() ? rs.getString(1) : null;
            }
        }
        List<String> lines = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(showGrants(flavor, activeRoles))) {
            while (rs.next()) lines.add(rs.getString(1));
        }
        return parse(lines);
    }

    /**
     * {@code SHOW GRANTS}; on MySQL with active roles, {@code SHOW GRANTS FOR CURRENT_USER() USING <each role>}.
     *
     * @param activeRoles what MySQL's CURRENT_ROLE() gives: {@code NONE}, or the roles as {@code `r`@`%`}, comma-separated
     */
    static String showGrants(MariaDbDialect.Flavor flavor, String activeRoles) {
        if (flavor == MariaDbDialect.Flavor.MARIADB || activeRoles == null || activeRoles.equals("NONE")) return "SHOW GRANTS";
        List<String> roles = new ArrayList<>();
        List<String> tokens = tokens(activeRoles);
        // `name`@`host` [, ...]: each part read back and quoted again, never passed on as the server wrote it.
        for (int i = 0; i < tokens.size(); ) {
            String name = unquote(tokens.get(i));
            String host = i + 2 < tokens.size() && tokens.get(i + 1).equals("@") ? unquote(tokens.get(i + 2)) : "%";
            roles.add(MariaDbNames.quote(name) + "@" + MariaDbNames.quote(host));
            i += tokens.get(Math.min(i + 1, tokens.size() - 1)).equals("@") ? 3 : 1;
            if (i < tokens.size() && tokens.get(i).equals(",")) i++;
        }
        return roles.isEmpty() ? "SHOW GRANTS" : "SHOW GRANTS FOR CURRENT_USER() USING " + String.join(", ", roles);
    }

    private static String unquote(String token) {
        return token.startsWith("`") && token.endsWith("`") && token.length() >= 2
                ? token.substring(1, token.length() - 1).replace("``", "`") : token;
    }

    /** The global and database grants among {@code lines} (SHOW GRANTS output); any other line is skipped. */
    static MariaDbGrants parse(List<String> lines) {
        List<Grant> grants = new ArrayList<>();
        for (String line : lines) {
            Grant g = parseLine(line);
            if (g != null) grants.add(g);
        }
        return new MariaDbGrants(grants);
    }

    /** Whether a global grant gives {@code privilege} (e.g. {@code SUPER}). */
    boolean global(String privilege) {
        return grants.stream().anyMatch(g -> g.database() == null && gives(g, privilege));
    }

    /**
     * Which of {@code wanted} this session holds on every table of {@code database}: globally, or by the first database
     * grant of each grantee that matches the name. {@code ignoreCase} as the server compares names
     * ({@code lower_case_table_names} other than 0).
     */
    Set<String> onDatabase(String database, boolean ignoreCase, Set<String> wanted) {
        List<Grant> applying = new ArrayList<>();
        Set<String> matchedGrantees = new HashSet<>();
        for (Grant g : grants) {
            if (g.database() == null) {
                applying.add(g);
            } else if (!matchedGrantees.contains(g.grantee()) && matches(g.database(), database, ignoreCase)) {
                matchedGrantees.add(g.grantee());
                applying.add(g);
            }
        }
        Set<String> held = new LinkedHashSet<>();
        for (String p : wanted) {
            // A partial revoke names its database literally (no wildcards), and restricts global grants only.
            boolean revoked = revokes.stream().anyMatch(r -> gives(r, p) && (ignoreCase ? r.database().equalsIgnoreCase(database)
                    : r.database().equals(database)));
            if (applying.stream().anyMatch(g -> gives(g, p) && !(revoked && g.database() == null))) held.add(p);
        }
        return held;
    }

    private static boolean gives(Grant g, String privilege) {
        // ALL PRIVILEGES is every privilege of its level but GRANT OPTION ("GRANT" in the MariaDB manual).
        return g.privileges().contains(privilege)
                || (!privilege.equals("GRANT OPTION") && g.privileges().contains("ALL PRIVILEGES"));
    }

    /** Whether the grant pattern {@code pattern} covers the database {@code name}. */
    static boolean matches(String pattern, String name, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char ch = pattern.charAt(i);
            if (ch == '\\' && i + 1 < pattern.length()) {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (ch == '%') {
                regex.append(".*");
            } else if (ch == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        int flags = Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
        return Pattern.compile(regex.toString(), flags).matcher(name).matches();
    }

    /**
     * {@code GRANT <privileges> ON <db>.* | *.* TO <grantee> ...} or MySQL's partial revoke {@code REVOKE <privileges>
     * ON <db>.* FROM <grantee>}, or null for any other line: role grants
     * ({@code GRANT r TO u}), table, column, routine and proxy grants.
     */
    static Grant parseLine(String line) {
        List<String> tokens = tokens(line);
        boolean revoke = !tokens.isEmpty() && tokens.get(0).equalsIgnoreCase("REVOKE");
        if (tokens.isEmpty() || !(revoke || tokens.get(0).equalsIgnoreCase("GRANT"))) return null;
        String to = revoke ? "FROM" : "TO";
        Set<String> privileges = new LinkedHashSet<>();
        List<String> words = new ArrayList<>();
        int i = 1;
        for (; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.equals("(")) return null; // column privileges: a grant on one table
            if (t.equals(",") || isWord(t, "ON")) {
                if (!words.isEmpty()) privileges.add(String.join(" ", words).toUpperCase(Locale.ROOT));
                words.clear();
                if (isWord(t, "ON")) break;
            } else if (isWord(t, to)) {
                return null; // a role granted (or revoked)
            } else {
                words.add(t);
            }
        }
        if (i + 4 >= tokens.size()) return null;
        String db = tokens.get(i + 1);
        if (!tokens.get(i + 2).equals(".") || !tokens.get(i + 3).equals("*") || !isWord(tokens.get(i + 4), to)) {
            return null; // a table, a routine, a proxy
        }
        // `user`@`host`, `role` or PUBLIC; what follows (IDENTIFIED BY ..., WITH GRANT OPTION) is not the grantee's.
        StringBuilder grantee = new StringBuilder();
        for (int j = i + 5; j < tokens.size(); j++) {
            String t = tokens.get(j);
            if (grantee.length() > 0 && !t.equals("@") && grantee.charAt(grantee.length() - 1) != '@') break;
            grantee.append(t);
        }
        if (db.equals("*")) return new Grant(grantee.toString(), privileges, null, revoke);
        if (!db.startsWith("`")) return null;
        return new Grant(grantee.toString(), privileges, db.substring(1, db.length() - 1).replace("``", "`"), revoke);
    }

    private static boolean isWord(String token, String word) {
        return token.equalsIgnoreCase(word);
    }

    /**
     * Backtick names (kept quoted, so that a name is never read as a keyword), '...' strings, runs of letters, digits,
     * {@code _} and {@code $}, and any other character but space as a token of its own.
     */
    private static List<String> tokens(String line) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            char ch = line.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
            } else if (ch == '`' || ch == '\'') {
                int end = i + 1;
                while (end < line.length()) {
                    if (line.charAt(end) == ch && end + 1 < line.length() && line.charAt(end + 1) == ch) end += 2;
                    else if (ch == '\'' && line.charAt(end) == '\\') end += 2;
                    else if (line.charAt(end) == ch) break;
                    else end++;
                }
                end = Math.min(end + 1, line.length());
                tokens.add(line.substring(i, end));
                i = end;
            } else if (Character.isLetterOrDigit(ch) || ch == '_' || ch == '$') {
                int end = i;
                while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_'
                        || line.charAt(end) == '$')) end++;
                tokens.add(line.substring(i, end));
                i = end;
            } else {
                tokens.add(String.valueOf(ch));
                i++;
            }
        }
        return tokens;
    }
}
