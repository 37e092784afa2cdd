package dev.tandem.mariadb;

import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.testing.MariaDb;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What is not Tandem's in or on a version database, which contract or rollback drops: named, and (measured) lost or
 * broken by the DROP DATABASE it would otherwise take.
 */
class MariaDbVersionDatabaseBlockersTest {
    private final MariaDbDialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
    private final MariaDbDdl ddl = new MariaDbDdl();

    @Test
    void tandemsViewsAloneAreNotInTheWay() throws SQLException {
        String db = MariaDb.newDatabase("vdb");
        String version = db + "_002_x";
        MariaDb.exec(db, "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20))");
        MariaDbSteps.run(ddl.createSchema(version));
        MariaDbSteps.run(ddl.createView(version, "people", db, "users",
                List.of(new Ddl.ViewColumn("id", "id"), new Ddl.ViewColumn("name", "full_name")), true));
        assertThat(blockers(version)).isEmpty();
    }

    @Test
    void theUsersObjectsInAndOnItAreNamed() throws SQLException {
        String db = MariaDb.newDatabase("vdb");
        String version = db + "_002_x";
        String q = MariaDb.quote(version);
        MariaDb.exec(db, "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20))", "CREATE TABLE audit (id INT PRIMARY KEY)");
        MariaDbSteps.run(ddl.createSchema(version));
        MariaDbSteps.run(ddl.createView(version, "users", db, "users",
                List.of(new Ddl.ViewColumn("id", "id"), new Ddl.ViewColumn("name", "name")), true));
        MariaDb.exec(version, "CREATE TABLE mydata (x INT)", "INSERT INTO mydata VALUES (42)",
                "CREATE VIEW counted AS SELECT COUNT(*) AS n FROM users",
                "CREATE PROCEDURE tidy() MODIFIES SQL DATA DELETE FROM mydata");
        MariaDb.exec(db, "CREATE VIEW report AS SELECT id FROM " + q + ".users",
                "CREATE TRIGGER audit_ins AFTER INSERT ON audit FOR EACH ROW INSERT INTO " + q + ".users (id) VALUES (NEW.id)");

        assertThat(blockers(version)).containsExactlyInAnyOrder(
                "table " + version + ".mydata",
                "view " + version + ".counted",
                "procedure " + version + ".tidy",
                "view " + db + ".report (it depends on " + version + ".users)",
                "trigger audit_ins on table " + db + ".audit (it names " + version + ".users, by its text)");

        // What dropping the database would do to them: gone, or failing.
        MariaDb.exec("DROP DATABASE " + q);
        try (Connection c = MariaDb.dataSource(db).getConnection(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM report")).hasMessageContaining("references invalid table");
            assertThatThrownBy(() -> st.execute("INSERT INTO audit VALUES (1)")).hasMessageContaining("doesn't exist");
        }
    }

    private List<String> blockers(String version) throws SQLException {
        try (Connection c = MariaDb.dataSource().getConnection()) {
            return dialect.versionSchemaBlockers(c, version);
        }
    }
}
