package dev.tandem.dialect.mariadb;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * The application logins that may use a database but not its new version database. A version database is a database
 * of its own: a login granted {@code ON app.*} is refused there (error 1044) until it is granted there too (README,
 * "MariaDB: what application logins need"). Other logins' database grants are readable only with SELECT on
 * {@code mysql.db} and {@code mysql.user} ("mysql.db Table" in the MariaDB manual); without it this says it could not
 * check. Not followed: privileges a login has through a role (the role is listed instead, as the grantee to give them
 * to), and grants on single tables.
 */
final class MariaDbApplicationLogins {
    /** What an application does through the version database's views. */
    private static final List<String> DML = List.of("SELECT", "INSERT", "UPDATE", "DELETE");

    private MariaDbApplicationLogins() {
    }

    /**
     * One line for the operator per login with privileges on {@code database} but none on {@code versionDatabase},
     * with the GRANT that gives it the same on every version database; one line saying it could not check when this
     * login cannot read the grant tables; none when every such login may use the version database.
     */
    static List<String> withoutVersionDatabase(Connection c, String database, String versionDatabase, boolean ignoreCase)
            throws SQLException {
        Map<String, Set<String>> onDatabase = new LinkedHashMap<>();
        Set<String> onVersion = new LinkedHashSet<>();
        Set<String> global = new LinkedHashSet<>();
        String self;
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT CURRENT_USER()")) {
                rs.next();
                self = rs.getString(1);
            }
            try (ResultSet rs = st.executeQuery("SELECT User, Host FROM mysql.user WHERE Select_priv = 'Y'"
                    + " OR Insert_priv = 'Y' OR Update_priv = 'Y' OR Delete_priv = 'Y'")) {
                while (rs.next()) global.add(account(rs.getString(1), rs.getString(2)));
            }
            try (ResultSet rs = st.executeQuery("SELECT User, Host, Db, Select_priv, Insert_priv, Update_priv, Delete_priv"
                    + " FROM mysql.db")) {
                while (rs.next()) {
                    String login = account(rs.getString(1), rs.getString(2));
                    Set<String> held = new LinkedHashSet<>();
                    for (int i = 0; i < DML.size(); i++) if ("Y".equals(rs.getString(4 + i))) held.add(DML.get(i));
                    if (held.isEmpty()) continue;
                    String pattern = rs.getString(3);
                    if (MariaDbGrants.matches(pattern, versionDatabase, ignoreCase)) onVersion.add(login);
                    if (MariaDbGrants.matches(pattern, database, ignoreCase)) {
                        onDatabase.computeIfAbsent(login, k -> new LinkedHashSet<>()).addAll(held);
                    }
                }
            }
        } catch (SQLException e) {
            // 1142: SELECT denied on a grant table; anything else is not about what this login may read.
            if (e.getErrorCode() != 1142) throw e;
            return List.of("could not check which application logins may use the new version database "
                    + quote(versionDatabase) + ": reading other logins' grants needs SELECT on mysql.db and mysql.user."
                    + " A login granted on " + quote(database) + ".* only is refused there (error 1044): give each"
                    + " application login what README, \"MariaDB: what application logins need\", says");
        }
        String selfAccount = self.contains("@") ? literal(self.substring(0, self.lastIndexOf('@'))) + "@"
                + literal(self.substring(self.lastIndexOf('@') + 1)) : literal(self);
        String versions = quote(MariaDbServerCheck.escapePattern(database) + "\\_%") + ".*";
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : onDatabase.entrySet()) {
            String login = e.getKey();
            if (onVersion.contains(login) || global.contains(login) || login.equals(selfAccount)) continue;
            lines.add("login " + login + " has privileges on " + quote(database) + " but none on the new version"
                    + " database " + quote(versionDatabase) + ": an application connecting as it there is refused"
                    + " (error 1044). A DBA runs: GRANT " + String.join(", ", e.getValue()) + " ON " + versions
                    + " TO " + login + "; (every version database of " + quote(database) + ")");
        }
        return lines;
    }

    /** {@code 'user'@'host'}; a role (host empty on MariaDB) by its name alone. */
    private static String account(String user, String host) {
        return host == null || host.isEmpty() ? literal(user) : literal(user) + "@" + literal(host);
    }
}
