package dev.tandem.mariadb;

import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;
import dev.tandem.engine.Step;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MySQL flavor's statements, by their text, for every operation kind MariaDbDdl builds: checked against the MySQL
 * 8.0/8.4 manual's grammar as written down here, which cannot prove that a MySQL server accepts them (none runs where
 * these tests run). What runs on MariaDB too is run there by {@link MySqlFormsOnMariaDbTest}. The flavor's reading
 * queries (catalog indexes, long transactions, metadata locks, grants, thread commands) are package-private, so their
 * text is checked by {@code dev.tandem.dialect.mariadb.MySqlFlavorQueriesTest}.
 */
class MySqlFlavorStatementsTest {
    private final MariaDbDdl mysql = new MariaDbDdl(Flavor.MYSQL);
    private final MariaDbDdl mariadb = new MariaDbDdl(Flavor.MARIADB);

    /** Every step kind that differs between the flavors, by name. */
    private static Map<String, Step> steps(MariaDbDdl ddl) {
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put("addColumn", ddl.addColumn("db", "t", "c", "INT"));
        steps.put("addColumnCollated", ddl.addColumn("db", "t", "c", "VARCHAR(10)", null, "utf8mb4_bin"));
        steps.put("dropColumn", ddl.dropColumn("db", "t", "c", List.of()));
        steps.put("setDefault", ddl.setDefault("db", "t", "c", "1"));
        steps.put("dropDefault", ddl.dropDefault("db", "t", "c"));
        steps.put("setNotNull", ddl.setNotNull("db", "t", "c"));
        steps.put("comment", ddl.setColumnSettings("db", "t", "c", "a comment", null, List.of(), "carry the comment"));
        steps.put("createIndex", ddl.createIndex("db", "t", "i", List.of("c"), true, "btree"));
        steps.put("dropIndex", ddl.dropIndex("db", "t", "i"));
        steps.put("renameIndex", ddl.renameIndex("db", "t", "i", "j"));
        steps.put("dropConstraint", ddl.dropConstraint("db", "t", "k"));
        steps.put("addForeignKey", ddl.addForeignKeyNotValid("db", "t", "fk", List.of("c"), "p", List.of("id"), "NO ACTION"));
        steps.put("validateForeignKey", ddl.validateForeignKey("db", "t", "fk", "p"));
        steps.put("validateConstraint", ddl.validateConstraint("db", "t", "k"));
        steps.put("dropForeignKey", ddl.dropForeignKey("db", "t", "fk", "p"));
        steps.put("addUnique", ddl.addUniqueUsingIndex("db", "t", "u", "i"));
        steps.put("placeholderDefault", ddl.placeholderDefault("db", "t", "c", "int"));
        steps.put("syncTrigger", joined(ddl.createSyncTrigger(trigger())));
        steps.put("dropSyncTrigger", joined(ddl.dropSyncTrigger(trigger())));
        steps.put("view", ddl.createView("db_v", "t", "db", "t", List.of(new Ddl.ViewColumn("c", "_tandem_new_c", null)), false));
        steps.put("createSchema", ddl.createSchema("db_v"));
        steps.put("dropSchema", ddl.dropSchema("db_v", List.of("t")));
        return steps;
    }

    /** A step per trigger, read here as one text. */
    private static Step joined(List<Step> steps) {
        Step first = steps.get(0);
        return new Step(first.description(), String.join(";\n", steps.stream().map(Step::sql).toList()), first.locks(),
                first.effect(), first.mode());
    }

    private static Ddl.SyncTrigger trigger() {
        var bindings = List.of(new Ddl.Binding("id", "id"), new Ddl.Binding("c", "c"));
        return new Ddl.SyncTrigger("db", "t", "tandem", "f", "trg", "db_002_x", List.of("db"), bindings, bindings,
                List.of(), List.of(new Ddl.Assignment("_tandem_new_c", "c * 2", "c")),
                List.of(new Ddl.Assignment("c", "_tandem_new_c / 2", "_tandem_new_c")), List.of(), null, null, List.of(),
                "002_x", null, List.of());
    }

    /** Statements or clauses MySQL 8.0/8.4 does not have (each named in docs/DESIGN.md's flavor table). */
    private static final List<String> MARIADB_ONLY = List.of("NOWAIT", "WAIT ", "NOCOPY", "BEGIN NOT ATOMIC",
            "EXECUTE IMMEDIATE", "SET STATEMENT", "CREATE OR REPLACE TRIGGER", "IF NOT EXISTS (", "ADD COLUMN IF",
            "DROP COLUMN IF", "DROP INDEX IF", "FOREIGN KEY IF", "DROP FOREIGN KEY IF", "DROP CONSTRAINT IF",
            "INDEX IF NOT EXISTS", "max_statement_time", "FOR i IN", "SIGNAL");

    @Test
    void theMySqlFlavorWritesNoStatementOnlyMariaDbHas() {
        steps(mysql).forEach((kind, step) -> {
            for (String word : MARIADB_ONLY) {
                // A trigger body is a stored program: SIGNAL is MySQL's there too ("SIGNAL Statement", 15.6.7.5).
                if (word.equals("SIGNAL") && kind.equals("syncTrigger")) continue;
                assertThat(step.sql()).as(kind + " on MySQL must not use " + word).doesNotContain(word);
            }
        });
        // The MariaDB flavor keeps its own statements.
        Map<String, Step> maria = steps(mariadb);
        assertThat(maria.get("createIndex").sql()).contains("NOWAIT", "ALGORITHM=NOCOPY", "INDEX IF NOT EXISTS");
        assertThat(maria.get("dropColumn").sql()).startsWith("BEGIN NOT ATOMIC");
        assertThat(maria.get("syncTrigger").sql()).contains("CREATE OR REPLACE TRIGGER");
    }

    /** Every ALTER states its algorithm and LOCK=NONE, with the words MySQL takes (no NOCOPY: INPLACE). */
    @Test
    void everyMySqlAlterNamesAnAlgorithmMySqlHasAndLockNone() {
        steps(mysql).forEach((kind, step) -> {
            if (!step.sql().contains("ALTER TABLE")) return;
            assertThat(step.sql()).as(kind).containsPattern("ALGORITHM=(INSTANT|INPLACE), LOCK=NONE");
        });
        Map<String, Step> s = steps(mysql);
        assertThat(s.get("createIndex").sql()).isEqualTo("ALTER TABLE `db`.`t` ADD UNIQUE INDEX `i` (`c`),"
                + " ALGORITHM=INPLACE, LOCK=NONE");
        assertThat(s.get("addColumn").sql()).isEqualTo("ALTER TABLE `db`.`t` ADD COLUMN `c` INT NULL, ALGORITHM=INSTANT,"
                + " LOCK=NONE");
        // MySQL renames an index and drops a foreign key in place, not instantly (Online DDL Operations, 17.12.1).
        assertThat(s.get("renameIndex").sql()).endsWith("RENAME INDEX `i` TO `j`, ALGORITHM=INPLACE, LOCK=NONE");
        assertThat(s.get("dropForeignKey").sql()).isEqualTo("ALTER TABLE `db`.`t` DROP FOREIGN KEY `fk`,"
                + " ALGORITHM=INPLACE, LOCK=NONE");
        assertThat(s.get("createIndex").description()).contains("ALGORITHM=INPLACE", "waiting at most 1 s");
    }

    /** Where MySQL has no IF [NOT] EXISTS on a clause, the step says when it is already done instead. */
    @Test
    void aClauseMySqlCannotGuardIsSkippedByACatalogQuery() {
        Map<String, Step> s = steps(mysql);
        for (String kind : List.of("addColumn", "addColumnCollated", "dropColumn", "createIndex", "dropIndex",
                "renameIndex", "addForeignKey", "dropForeignKey", "addUnique")) {
            assertThat(s.get(kind).skipIf()).as(kind).isNotNull();
        }
        assertThat(s.get("addColumn").skipIf()).contains("information_schema.COLUMNS");
        assertThat(s.get("addColumn").skipParams()).containsExactly("db", "t", "c");
        assertThat(s.get("dropForeignKey").skipIf()).contains("REFERENTIAL_CONSTRAINTS").startsWith("SELECT NOT");
    }

    /** Anonymous blocks become prepared statements; a refusal is an assignment sql_mode refuses (no SIGNAL outside a routine). */
    @Test
    void catalogDependentStatementsArePreparedAndRefusalsAreRefusedAssignments() {
        Map<String, Step> s = steps(mysql);
        for (String kind : List.of("dropColumn", "dropDefault", "setNotNull", "comment", "dropConstraint",
                "validateForeignKey", "validateConstraint")) {
            assertThat(s.get(kind).sql()).as(kind).contains("PREPARE tandem_ddl FROM @tandem_ddl;\nEXECUTE tandem_ddl;");
        }
        assertThat(s.get("validateForeignKey").sql()).contains("SET SESSION sql_mode = IF(@tandem_violations > 0,"
                + " CONCAT('Tandem: ', @tandem_violations, ' existing row(s) break foreign key fk of `db`.`t`'),"
                + " @@SESSION.sql_mode)");
        assertThat(s.get("setNotNull").sql()).contains("EXTRA NOT LIKE '%VIRTUAL GENERATED%'").doesNotContain("IS_GENERATED");
        // MySQL's CHECK_CONSTRAINTS has no TABLE_NAME: the table comes from TABLE_CONSTRAINTS.
        assertThat(s.get("validateConstraint").sql()).contains("JOIN information_schema.TABLE_CONSTRAINTS tc");
        assertThat(s.get("addForeignKey").sql()).startsWith("SET @tandem_foreign_key_checks = @@SESSION.foreign_key_checks,"
                + " SESSION foreign_key_checks = 0;\nALTER TABLE `db`.`t` ADD CONSTRAINT `fk` FOREIGN KEY (`c`) REFERENCES"
                + " `db`.`p` (`id`) ON DELETE NO ACTION, ALGORITHM=INPLACE, LOCK=NONE;\n")
                .endsWith(MariaDbDdl.RESTORE_FOREIGN_KEY_CHECKS);
    }

    /** No OR REPLACE for triggers on MySQL, and no DROP-then-CREATE window: a trigger is created once, if not there. */
    @Test
    void syncTriggersAreCreatedIfMissingNeverReplaced() {
        String sql = steps(mysql).get("syncTrigger").sql();
        assertThat(sql).startsWith("CREATE TRIGGER IF NOT EXISTS `db`.").doesNotContain("DROP TRIGGER");
        assertThat(sql.split("CREATE TRIGGER IF NOT EXISTS", -1)).hasSize(3);
    }

    @Test
    void mySqlHasNoPublicRoleToGrantTo() {
        var grant = List.of(new Ddl.Grant("PUBLIC", "SELECT", null, false));
        assertThat(mariadb.grant("db_v", "t", grant, "carry grants").sql()).isEqualTo("GRANT SELECT ON `db_v`.`t` TO PUBLIC");
        assertThatThrownBy(() -> mysql.grant("db_v", "t", grant, "carry grants"))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("MySQL has no PUBLIC");
    }
}
