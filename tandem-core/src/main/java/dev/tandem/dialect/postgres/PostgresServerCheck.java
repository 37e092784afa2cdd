package dev.tandem.dialect.postgres;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialect.ServerProblem;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What PostgreSQL can tell cheaply, before expand, of the privileges Tandem needs without being a superuser (README,
 * "The privileges Tandem needs"; measured by NonSuperuserOwnerTest): {@code CREATE} on the database for the version
 * schema (and the state schema when it does not exist yet), {@code CREATE} on the state schema when it does, and
 * ownership of every table the migration changes (ALTER TABLE and CREATE INDEX need it).
 *
 * <p>Not checked: {@code REFERENCES} on tables of other owners (the foreign key's step fails, and expand stops there,
 * to be run again), what raw SQL needs, and the server's settings (none is required; what Tandem does otherwise
 * without superuser it logs). USAGE on the state schema fails earlier, when the state is read. No warnings.
 */
final class PostgresServerCheck {
    private final Dialect dialect;

    PostgresServerCheck(Dialect dialect) {
        this.dialect = dialect;
    }

    Dialect.ServerReport check(Connection c, Dialect.ServerNeeds needs) throws SQLException {
        List<ServerProblem> problems = new ArrayList<>();
        // Contract and rollback drop what this login created at expand: nothing to check that expand did not.
        Dialect.Command command = needs.command();
        if (command == Dialect.Command.CONTRACT || command == Dialect.Command.ROLLBACK) {
            return new Dialect.ServerReport(problems, List.of());
        }
        String role;
        String database;
        boolean createOnDatabase;
        try (PreparedStatement ps = c.prepareStatement("SELECT current_user, current_database(),"
                + " has_database_privilege(current_database(), 'CREATE')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            role = rs.getString(1);
            database = rs.getString(2);
            createOnDatabase = rs.getBoolean(3);
        }
        if (!createOnDatabase) {
            problems.add(new ServerProblem("CREATE on database " + dialect.quote(database) + " (to create the version"
                    + " schema " + needs.plan().versionSchema() + ", and the state schema if it does not exist)",
                    "Run: GRANT CREATE ON DATABASE " + dialect.quote(database) + " TO " + dialect.quote(role) + ";"));
        }
        // Without USAGE the state cannot even be read, which fails before any check with PostgreSQL's own message.
        if (command == Dialect.Command.PUBLISH) return new Dialect.ServerReport(problems, List.of());
        try (PreparedStatement ps = c.prepareStatement("SELECT has_schema_privilege(n.oid, 'CREATE')"
                + " FROM pg_namespace n WHERE n.nspname = ?")) {
            ps.setString(1, needs.stateSchema());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && !rs.getBoolean(1)) {
                    problems.add(new ServerProblem("CREATE on the state schema " + dialect.quote(needs.stateSchema())
                            + " (for Tandem's state tables)", "Run: GRANT CREATE ON SCHEMA "
                            + dialect.quote(needs.stateSchema()) + " TO " + dialect.quote(role) + ";"));
                }
            }
        }
        // Ownership through membership counts: ALTER TABLE accepts any role whose privileges this one has.
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ANY (?)"
                + " AND NOT pg_has_role(c.relowner, 'USAGE') ORDER BY c.relname")) {
            ps.setString(1, needs.plan().schema());
            ps.setArray(2, c.createArrayOf("text", needs.tables().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String table = dialect.qualify(needs.plan().schema(), rs.getString(1));
                    String owner = dialect.quote(rs.getString(2));
                    problems.add(new ServerProblem("ownership of table " + table + ", which the migration changes (it"
                            + " belongs to " + owner + ")", "Run: GRANT " + owner + " TO " + dialect.quote(role)
                            + "; (or ALTER TABLE " + table + " OWNER TO " + dialect.quote(role) + ";)"));
                }
            }
        }
        return new Dialect.ServerReport(problems, List.of());
    }
}
