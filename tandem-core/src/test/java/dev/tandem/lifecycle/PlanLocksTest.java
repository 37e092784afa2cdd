package dev.tandem.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.Tandem;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Plan;
import dev.tandem.engine.Step;
import dev.tandem.engine.TableLock;
import dev.tandem.state.Phase;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What plan says about locks, for the shapes that used to be mislabelled, and for plans stored by earlier Tandems. */
class PlanLocksTest {
    static final String V1 = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: name, type: text, nullable: false}
                    - {name: extra, type: text}
            """;
    static final String V2 = """
            operations:
              - drop_column: {table: users, column: extra}
              - rename_column: {table: users, from: name, to: username}
            """;

    @TempDir
    Path dir;

    /**
     * The contract step that drops and renames columns of users was labelled "ACCESS EXCLUSIVE (brief, catalog
     * only) on its views only". It locks users itself: a transaction reading users through the new version's
     * view makes it wait.
     */
    @Test
    void contractThatDropsAndRenamesColumnsSaysItLocksTheTable() throws SQLException {
        String schema = Pg.newSchema("pll");
        Migrations files = new Migrations(dir).write("001_init.yaml", V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        files.write("002_drop.yaml", V2);

        Step swap = onlyStep(tandem.plan().plan().contract(), "RENAME COLUMN");
        assertThat(swap.locks().known()).isTrue();
        assertThat(swap.locks().tables()).contains(new TableLock(schema, "users", LockMode.ACCESS_EXCLUSIVE));

        tandem.expand();
        try (Connection reader = Pg.dataSource(schema + "_002_drop").getConnection();
             Connection contract = Pg.dataSource().getConnection()) {
            reader.setAutoCommit(false);
            try (Statement st = reader.createStatement()) {
                st.executeQuery("SELECT username FROM users").close();
            }
            contract.setAutoCommit(false);
            try (Statement st = contract.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '200ms'");
                assertThatThrownBy(() -> st.execute(swap.sql())).hasMessageContaining("lock timeout");
            }
            contract.rollback();
            reader.rollback();
        }
    }

    @Test
    void rawSqlIsUnknownUntilMeasuredNeverCatalogOnly() {
        String schema = Pg.newSchema("pll");
        Migrations files = new Migrations(dir).write("001_init.yaml", V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        files.write("002_raw.yaml", """
                operations:
                  - sql:
                      up: 'CREATE INDEX users_name_idx ON "%1$s".users (name)'
                      down: 'DROP INDEX "%1$s".users_name_idx'
                """.formatted(schema));

        // Probed (the default): the index build's SHARE lock on users, read from pg_locks.
        Step probed = onlyStep(tandem.plan().plan().expand(), "CREATE INDEX");
        assertThat(probed.locks().source()).isEqualTo(Locks.Source.MEASURED);
        assertThat(probed.locks().tables()).containsExactly(new TableLock(schema, "users", LockMode.SHARE));

        Plan plan = tandem.plan(false).plan();
        Step raw = onlyStep(plan.expand(), "CREATE INDEX");
        assertThat(raw.locks().known()).isFalse();
        assertThat(raw.locks().reason()).startsWith(Step.NOT_PROBED);
        assertThat(raw.effect()).isEqualTo(Step.Effect.UNKNOWN);
        assertThat(raw.effect().text).doesNotContain("catalog only");
        assertThat(onlyStep(plan.rollback(), "DROP INDEX").locks().known()).isFalse();

        Step measured = raw.withMeasuredLocks(List.of(new TableLock(schema, "users", LockMode.SHARE)));
        assertThat(measured.locks().source()).isEqualTo(Locks.Source.MEASURED);
        assertThat(measured.locks().summary()).isEqualTo("SHARE on " + schema + ".users (measured)");
        assertThat(raw.withUnknownLocks("the probe failed: syntax error").locks().summary())
                .isEqualTo("unknown (the probe failed: syntax error)");
    }

    /** A migration expanded by an earlier Tandem stored steps with one free-text {@code lock}: it still loads and contracts. */
    @Test
    void planStoredByAnEarlierTandemStillLoads() throws Exception {
        String schema = Pg.newSchema("pll");
        Migrations files = new Migrations(dir).write("001_init.yaml", V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        files.write("002_drop.yaml", V2);
        tandem.expand();
        toEarlierFormat(schema, "002_drop");

        Plan plan = tandem.plan().plan();
        Step swap = onlyStep(plan.contract(), "RENAME COLUMN");
        assertThat(swap.locks().known()).isFalse();
        assertThat(swap.locks().reason()).contains("earlier Tandem").contains("ACCESS EXCLUSIVE (brief, catalog only)");
        tandem.backfill();
        tandem.contract();
        assertThat(tandem.status().migrations()).anySatisfy(m -> {
            assertThat(m.name()).isEqualTo("002_drop");
            assertThat(m.phase()).isEqualTo(Phase.COMPLETE);
        });
    }

    /** Rewrites the stored plan as the Tandem before per-table locks wrote it. */
    private static void toEarlierFormat(String schema, String migration) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String stored = Rows.query(Pg.dataSource(), "SELECT plan FROM tandem.migrations WHERE schema_name = ? AND name = ?",
                schema, migration).get(0).get("plan").toString();
        JsonNode plan = json.readTree(stored);
        for (String phase : List.of("expand", "contract", "rollback")) {
            for (JsonNode step : plan.get(phase)) {
                ObjectNode s = (ObjectNode) step;
                s.remove("locks");
                s.put("lock", "ACCESS EXCLUSIVE (brief, catalog only)");
                s.put("effect", "METADATA".equals(s.get("effect").asText()) || "UNKNOWN".equals(s.get("effect").asText())
                        ? "METADATA" : s.get("effect").asText());
            }
        }
        try (Connection c = Pg.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE tandem.migrations SET plan = ? WHERE schema_name = ? AND name = ?")) {
            ps.setString(1, json.writeValueAsString(plan));
            ps.setString(2, schema);
            ps.setString(3, migration);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static Step onlyStep(List<Step> steps, String sqlPart) {
        List<Step> found = steps.stream().filter(s -> s.sql().contains(sqlPart)).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }
}
