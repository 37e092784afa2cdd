package dev.tandem.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tandem.TandemException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MigrationReaderTest {

    @TempDir
    Path dir;

    private String file = "";

    // ---------------------------------------------------------------------------------------- helpers

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Migration read(String name, String content) throws IOException {
        Path p = write(name, content);
        file = p.toString();
        return MigrationReader.readFile(p);
    }

    private Migration read(String yaml) throws IOException {
        return read("001_test.yaml", yaml);
    }

    private SourceLocation at(int line, int column) {
        return new SourceLocation(file, line, column);
    }

    private static MigrationException failure(Runnable action) {
        try {
            action.run();
        } catch (MigrationException e) {
            return e;
        }
        throw new AssertionError("expected a MigrationException");
    }

    /** The problems of reading {@code content} as one file, each as "line:column: message". */
    private List<String> errors(String name, String content) throws IOException {
        Path p = write(name, content);
        file = p.toString();
        MigrationException e = failure(() -> MigrationReader.readFile(p));
        assertThat(e.kind()).isEqualTo(TandemException.Kind.INVALID_INPUT);
        for (MigrationException.Problem problem : e.problems()) {
            assertThat(problem.location().file()).isEqualTo(file);
        }
        return e.problems().stream()
                .map(pr -> pr.location().line() + ":" + pr.location().column() + ": " + pr.message())
                .toList();
    }

    private List<String> errors(String yaml) throws IOException {
        return errors("001_test.yaml", yaml);
    }

    private static String sha256(String content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(content.getBytes(StandardCharsets.UTF_8)));
    }

    // ---------------------------------------------------------------------------------------- every operation

    private static final String ALL_OPERATIONS = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - name: id
                      type: bigint
                      primary_key: true
                      generated: identity
                    - name: email
                      type: text
                      nullable: false
                      unique: true
                      check: "email like '%@%'"
                    - name: team_id
                      type: bigint
                      references: {table: teams, column: id, on_delete: set null}
                    - {name: status, type: text, default: "'new'"}
              - add_column:
                  table: users
                  column: {name: age, type: integer, nullable: false, default: 0}
                  up: |
                    coalesce(legacy_age, 0)
              - drop_column: {table: users, column: legacy_age, down: age}
              - rename_column: {table: users, from: name, to: full_name}
              - alter_column:
                  table: users
                  column: phone
                  type: varchar(20)
                  nullable: false
                  default: null
                  unique: true
                  check: length(phone) > 3
                  references: {table: phones, column: number}
                  up: left(phone, 20)
                  down: phone
              - rename_table: {from: customer, to: customers}
              - drop_table: {table: audit_old}
              - create_index: {name: users_email, table: users, columns: [email, id]}
              - create_index: {name: docs_tags, table: docs, columns: [tags], unique: true, method: GIN}
              - drop_index: {name: users_email}
              - add_constraint: {table: orders, name: orders_total_positive, check: total >= 0}
              - add_constraint: {table: lines, name: lines_uq, unique: [order_id, position]}
              - add_constraint:
                  table: shipments
                  name: shipments_fk
                  foreign_key:
                    columns: [order_id, position]
                    references_table: lines
                    references_columns: [order_id, pos]
                    on_delete: Cascade
              - drop_constraint: {table: orders, name: orders_total_positive}
              - sql:
                  up: CREATE EXTENSION pg_trgm
                  down: DROP EXTENSION pg_trgm
            """;

    @Test
    void readsEveryOperationIntoItsRecord() throws Exception {
        Migration m = read("001_all.yaml", ALL_OPERATIONS);

        assertThat(m.name()).isEqualTo("001_all");
        assertThat(m.file()).isEqualTo(dir.resolve("001_all.yaml").toString());
        assertThat(m.checksum()).isEqualTo(sha256(ALL_OPERATIONS));
        List<Operation> ops = m.operations();
        assertThat(ops).hasSize(15);

        assertThat(ops.get(0)).isEqualTo(new Operation.CreateTable("users", List.of(
                new ColumnDef("id", "bigint", false, null, true, false, "identity", null, null, at(5, 11)),
                new ColumnDef("email", "text", false, null, false, true, null, "email like '%@%'", null, at(9, 11)),
                new ColumnDef("team_id", "bigint", true, null, false, false, null, null,
                        new ForeignKey("teams", "id", "SET NULL"), at(14, 11)),
                new ColumnDef("status", "text", true, "'new'", false, false, null, null, null, at(17, 11))),
                at(2, 5)));
        assertThat(ops.get(1)).isEqualTo(new Operation.AddColumn("users",
                new ColumnDef("age", "integer", false, "0", false, false, null, null, null, at(20, 15)),
                "coalesce(legacy_age, 0)", at(18, 5)));
        assertThat(ops.get(2)).isEqualTo(new Operation.DropColumn("users", "legacy_age", "age", at(23, 5)));
        assertThat(ops.get(3)).isEqualTo(new Operation.RenameColumn("users", "name", "full_name", at(24, 5)));
        assertThat(ops.get(4)).isEqualTo(new Operation.AlterColumn("users", "phone", "varchar(20)", false, true,
                null, true, "length(phone) > 3", new ForeignKey("phones", "number", null), "left(phone, 20)",
                "phone", at(25, 5)));
        assertThat(ops.get(5)).isEqualTo(new Operation.RenameTable("customer", "customers", at(36, 5)));
        assertThat(ops.get(6)).isEqualTo(new Operation.DropTable("audit_old", at(37, 5)));
        assertThat(ops.get(7)).isEqualTo(new Operation.CreateIndex("users_email", "users", List.of("email", "id"),
                false, "btree", at(38, 5)));
        assertThat(ops.get(8)).isEqualTo(new Operation.CreateIndex("docs_tags", "docs", List.of("tags"), true,
                "gin", at(39, 5)));
        assertThat(ops.get(9)).isEqualTo(new Operation.DropIndex("users_email", at(40, 5)));
        assertThat(ops.get(10)).isEqualTo(new Operation.AddConstraint("orders", "orders_total_positive",
                "total >= 0", null, null, at(41, 5)));
        assertThat(ops.get(11)).isEqualTo(new Operation.AddConstraint("lines", "lines_uq", null,
                List.of("order_id", "position"), null, at(42, 5)));
        assertThat(ops.get(12)).isEqualTo(new Operation.AddConstraint("shipments", "shipments_fk", null, null,
                new Operation.ForeignKeyConstraint(List.of("order_id", "position"), "lines",
                        List.of("order_id", "pos"), "CASCADE"), at(43, 5)));
        assertThat(ops.get(13)).isEqualTo(new Operation.DropConstraint("orders", "orders_total_positive",
                at(51, 5)));
        assertThat(ops.get(14)).isEqualTo(new Operation.RawSql("CREATE EXTENSION pg_trgm", "DROP EXTENSION pg_trgm",
                at(52, 5)));
        assertThat(ops).extracting(Operation::kind).containsExactly("create_table", "add_column", "drop_column",
                "rename_column", "alter_column", "rename_table", "drop_table", "create_index", "create_index",
                "drop_index", "add_constraint", "add_constraint", "add_constraint", "drop_constraint", "sql");
    }

    @Test
    void jsonGivesTheSameOperationsAsYaml() throws Exception {
        Migration yaml = read("001_all.yaml", ALL_OPERATIONS);
        String json = new ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(ALL_OPERATIONS));
        Migration fromJson = read("001_all.json", json);

        assertThat(fromJson.name()).isEqualTo("001_all");
        assertThat(fromJson.operations()).hasSize(yaml.operations().size());
        assertThat(fromJson.operations()).usingRecursiveComparison()
                .ignoringFieldsOfTypes(SourceLocation.class)
                .isEqualTo(yaml.operations());
        assertThat(fromJson.operations().get(0).location().file()).isEqualTo(dir.resolve("001_all.json").toString());
    }

    @Test
    void jsonKeepsLinesAndColumns() throws Exception {
        Migration m = read("002_j.json", """
                {
                  "operations": [
                    {"drop_table": {"table": "a"}},
                    {"add_column": {"table": "t",
                                    "column": {"name": "c", "type": "int", "default": 1}}}
                  ]
                }
                """);
        assertThat(m.operations().get(0)).isEqualTo(new Operation.DropTable("a", at(3, 6)));
        Operation.AddColumn add = (Operation.AddColumn) m.operations().get(1);
        assertThat(add.location()).isEqualTo(at(4, 6));
        assertThat(add.column().location()).isEqualTo(at(5, 31));
        assertThat(add.column().defaultExpr()).isEqualTo("1");

        assertThat(errors("003_j.json", """
                {"operations": [
                  {"drop_table": {"tabel": "a"}}
                ]}
                """)).containsExactly(
                "2:19: drop_table: unknown field 'tabel' (did you mean 'table'?); allowed fields: table",
                "2:4: drop_table: missing required field 'table'");
    }

    @Test
    void ymlExtensionIsYaml() throws Exception {
        Migration m = read("007_x.yml", "operations:\n  - drop_index: {name: i}\n");
        assertThat(m.name()).isEqualTo("007_x");
        assertThat(m.operations()).containsExactly(new Operation.DropIndex("i", at(2, 5)));
    }

    // ---------------------------------------------------------------------------------------- field details

    @Test
    void alterColumnTellsDroppedDefaultFromUnchangedDefault() throws Exception {
        List<Operation> ops = read("""
                operations:
                  - alter_column: {table: t, column: a, nullable: true}
                  - alter_column: {table: t, column: b, default: null}
                  - alter_column:
                      table: t
                      column: c
                      default:
                  - alter_column: {table: t, column: d, default: "now()"}
                """).operations();
        Operation.AlterColumn a = (Operation.AlterColumn) ops.get(0);
        Operation.AlterColumn b = (Operation.AlterColumn) ops.get(1);
        Operation.AlterColumn c = (Operation.AlterColumn) ops.get(2);
        Operation.AlterColumn d = (Operation.AlterColumn) ops.get(3);
        assertThat(a.defaultChanged()).isFalse();
        assertThat(a.nullable()).isTrue();
        assertThat(a.type()).isNull();
        assertThat(a.unique()).isNull();
        assertThat(b.defaultChanged()).isTrue();
        assertThat(b.defaultExpr()).isNull();
        assertThat(b.nullable()).isNull();
        assertThat(c.defaultChanged()).isTrue();
        assertThat(c.defaultExpr()).isNull();
        assertThat(d.defaultChanged()).isTrue();
        assertThat(d.defaultExpr()).isEqualTo("now()");
    }

    @Test
    void scalarsAreTakenAsTheirTextAndSqlIsTrimmed() throws Exception {
        Operation.CreateTable t = (Operation.CreateTable) read("""
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: a, type: "numeric(10,2)", default: 1.50}
                        - {name: no, type: boolean, default: false, nullable: no}
                        - {name: c, type: text, default: "  lower('X')  "}
                        - {name: 1, type: int, unique: yes}
                """).operations().get(0);
        assertThat(t.columns()).extracting(ColumnDef::name).containsExactly("a", "no", "c", "1");
        assertThat(t.columns()).extracting(ColumnDef::defaultExpr).containsExactly("1.50", "false", "lower('X')", null);
        assertThat(t.columns()).extracting(ColumnDef::type).containsExactly("numeric(10,2)", "boolean", "text", "int");
        assertThat(t.columns()).extracting(ColumnDef::nullable).containsExactly(true, false, true, true);
        assertThat(t.columns().get(3).unique()).isTrue();
    }

    @Test
    void identifiersKeepQuotesSpacesAndCapitalsButAreLimitedTo63Bytes() throws Exception {
        String ok63 = "x".repeat(63);
        String tooLong = "é".repeat(32); // 32 characters, 64 bytes
        Operation.RenameTable r = (Operation.RenameTable) read("operations:\n"
                + "  - rename_table: {from: 'My \"Table\"', to: " + ok63 + "}\n").operations().get(0);
        assertThat(r.from()).isEqualTo("My \"Table\"");
        assertThat(r.to()).isEqualTo(ok63);

        assertThat(errors("operations:\n"
                + "  - rename_table: {from: " + tooLong + ", to: \"\"}\n"
                + "  - drop_table: {table: \"a\\0b\"}\n")).containsExactly(
                "2:26: rename_table: 'from' is too long (64 bytes; PostgreSQL identifiers have at most 63 bytes)",
                "2:64: rename_table: 'to' must not be empty",
                "3:25: drop_table: 'table' must not contain NUL characters");
    }

    @Test
    void primaryKeyAndIdentityColumnsAreNotNullable() throws Exception {
        Operation.CreateTable t = (Operation.CreateTable) read("""
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: a, type: int, primary_key: true}
                        - {name: b, type: int, generated: identity}
                """).operations().get(0);
        assertThat(t.columns()).extracting(ColumnDef::nullable).containsExactly(false, false);
        assertThat(t.columns().get(1).identity()).isTrue();

        assertThat(errors("""
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: a, type: int, primary_key: true, nullable: true}
                        - {name: b, type: int, generated: identity, default: 1}
                        - {name: c, type: int, generated: always}
                """)).containsExactly(
                "5:61: create_table column: a primary key column cannot be nullable",
                "6:53: create_table column: a column cannot have both a default and generated: identity",
                "7:43: create_table column: 'generated' must be one of identity, got 'always'");
    }

    @Test
    void onDeleteAndMethodAreCheckedAndNormalised() throws Exception {
        assertThat(errors("""
                operations:
                  - create_index: {name: i, table: t, columns: [a], method: bitmap}
                  - add_column:
                      table: t
                      column:
                        name: a
                        type: int
                        references: {table: u, column: id, on_delete: nothing}
                """)).containsExactly(
                "2:61: create_index: 'method' must be one of btree, hash, gin, gist, brin, spgist, got 'bitmap'",
                "8:55: add_column column references: 'on_delete' must be one of NO ACTION, RESTRICT, CASCADE,"
                        + " SET NULL, SET DEFAULT, got 'nothing'");

        Operation.AddColumn a = (Operation.AddColumn) read("""
                operations:
                  - add_column:
                      table: t
                      column: {name: a, type: int, references: {table: u, column: id, on_delete: "set   default"}}
                """).operations().get(0);
        assertThat(a.column().references()).isEqualTo(new ForeignKey("u", "id", "SET DEFAULT"));
    }

    // ---------------------------------------------------------------------------------------- errors

    @Test
    void malformedYamlReportsLineAndShortReason() throws Exception {
        List<String> errors = errors("""
                operations:
                  - drop_table:
                      table: users
                        extra: x
                """);
        assertThat(errors).containsExactly("4:14: invalid YAML: mapping values are not allowed here; quote a value that"
                + " contains ': ', and indent a field like the fields beside it");

        List<String> unclosed = errors("""
                operations:
                  - drop_table: {table: [a, b}
                  - drop_index: {name: x}
                """);
        assertThat(unclosed).hasSize(1);
        assertThat(unclosed.get(0)).startsWith("2:30: invalid YAML: expected ',' or ']', but got }")
                .contains("while parsing a flow sequence at line 2, column 25")
                .endsWith("; close the bracket opened there, or separate its entries with commas")
                .doesNotContain("\n").doesNotContain("in 'reader'").doesNotContain("^");
    }

    @Test
    void malformedJsonReportsLineAndShortReason() throws Exception {
        assertThat(errors("001_bad.json", """
                {"operations": [
                  {"drop_table": {"table": "users",}}
                ]}
                """)).containsExactly("2:36: invalid JSON: Unexpected character ('}' (code 125)):"
                + " was expecting double-quote to start field name; remove the comma before it");
        List<String> eof = errors("001_eof.json", "{\"operations\": [\n  {\"drop_table\": {\"table\": \"users\"}}\n");
        assertThat(eof).hasSize(1);
        assertThat(eof.get(0)).startsWith("3:1: invalid JSON: Unexpected end-of-input").doesNotContain("Source:");
    }

    @Test
    void unknownOperationListsTheKnownOnes() throws Exception {
        assertThat(errors("""
                operations:
                  - drop_table: {table: a}
                  - crate_table: {table: t}
                  - frobnicate: {}
                """)).containsExactly(
                "3:5: unknown operation 'crate_table' (did you mean 'create_table'?); known operations: create_table,"
                        + " add_column, drop_column, rename_column, alter_column, rename_table, drop_table,"
                        + " create_index, drop_index, add_constraint, drop_constraint, sql",
                "4:5: unknown operation 'frobnicate'; known operations: create_table, add_column, drop_column,"
                        + " rename_column, alter_column, rename_table, drop_table, create_index, drop_index,"
                        + " add_constraint, drop_constraint, sql");
    }

    @Test
    void unknownFieldNamesTheFieldAtItsLine() throws Exception {
        assertThat(errors("""
                operations:
                  - add_column:
                      table: users
                      column:
                        name: age
                        type: int
                        nulable: true
                      colour: red
                """)).containsExactly(
                "8:7: add_column: unknown field 'colour'; allowed fields: table, column, up",
                "7:9: add_column column: unknown field 'nulable' (did you mean 'nullable'?); allowed fields: name,"
                        + " type, nullable, default, unique, generated, check, references");
    }

    @Test
    void missingRequiredFields() throws Exception {
        assertThat(errors("""
                operations:
                  - rename_column: {table: users, from: a}
                  - create_table:
                      table: t
                      columns:
                        - {name: a}
                  - drop_index:
                """)).containsExactly(
                "2:5: rename_column: missing required field 'to'",
                "6:11: create_table column: missing required field 'type'",
                "7:5: drop_index: missing required field 'name'");
    }

    @Test
    void wrongTypes() throws Exception {
        assertThat(errors("""
                operations:
                  - drop_table: {table: [a, b]}
                  - create_index: {name: i, table: t, columns: a, unique: "true"}
                  - create_table: {table: t, columns: {name: a, type: int}}
                  - add_column: {table: t, column: a}
                  - drop_index: {name: ~}
                  - drop_table: users
                  - create_index: {name: i, table: t, columns: [a, [b]]}
                """)).containsExactly(
                "2:25: drop_table: 'table' must be a string, got a list",
                "3:48: create_index: 'columns' must be a list, got a string",
                "3:59: create_index: 'unique' must be a boolean (true or false), got a string (write true or false"
                        + " without quotes)",
                "4:39: create_table: 'columns' must be a list, got a mapping",
                "5:36: add_column column must be a mapping, got a string",
                "6:24: drop_index: 'name' must be a string, got null",
                "7:17: 'drop_table' must be followed by a mapping of its fields (table), got a string",
                "8:52: create_index: 'columns' entry 2 must be a string, got a list");
    }

    @Test
    void duplicateColumnInOneTable() throws Exception {
        assertThat(errors("""
                operations:
                  - create_table:
                      table: t
                      columns:
                        - {name: a, type: int}
                        - {name: b, type: int}
                        - {name: a, type: text}
                """)).containsExactly("7:11: create_table: duplicate column 'a' (first at line 5)");
    }

    @Test
    void emptyOperationsAndEmptyFile() throws Exception {
        assertThat(errors("operations: []\n")).containsExactly("1:1: 'operations' must not be empty");
        assertThat(errors("operations:\n")).containsExactly("1:1: 'operations' must not be empty");
        assertThat(errors("# nothing here\n")).containsExactly(
                "1:1: the file is empty; it must be a mapping with the key 'operations' (a list of operations)");
        assertThat(errors("- drop_table: {table: a}\n")).containsExactly(
                "1:1: the file must be a mapping with the key 'operations', got a list (write 'operations:' above"
                        + " the list)");
        assertThat(errors("operation:\n  - drop_table: {table: a}\n")).containsExactly(
                "1:1: unknown top-level key 'operation' (did you mean 'operations'?); a migration file has only the"
                        + " key 'operations'",
                "1:1: missing the key 'operations' (a list of operations)");
    }

    @Test
    void addConstraintNeedsExactlyOneKind() throws Exception {
        assertThat(errors("""
                operations:
                  - add_constraint: {table: t, name: c}
                  - add_constraint:
                      table: t
                      name: c
                      check: a > 0
                      unique: [a]
                  - add_constraint:
                      table: t
                      name: fk
                      foreign_key: {columns: [a, b], references_table: u, references_columns: [id]}
                """)).containsExactly(
                "2:5: add_constraint: give exactly one of check, unique, foreign_key",
                "7:7: add_constraint: give exactly one of check, unique, foreign_key; found check and unique",
                "11:79: add_constraint foreign_key: 'columns' has 2 entries but 'references_columns' has 1; they"
                        + " must match");
    }

    @Test
    void alterColumnNeedsAChangeAndCannotRename() throws Exception {
        assertThat(errors("""
                operations:
                  - alter_column: {table: t, column: a, up: a + 1}
                  - alter_column: {table: t, column: a, rename: b}
                """)).containsExactly(
                "2:5: alter_column: nothing to change; give at least one of type, nullable, default, unique, check,"
                        + " references",
                "3:41: alter_column cannot rename a column; use a separate rename_column operation");
    }

    @Test
    void addColumnCannotAddAPrimaryKey() throws Exception {
        assertThat(errors("""
                operations:
                  - add_column:
                      table: t
                      column: {name: id, type: int, primary_key: true}
                """)).containsExactly("4:37: add_column: a column with primary_key cannot be added to an existing"
                + " table; declare primary keys in create_table");
    }

    @Test
    void operationWithTwoKeysHintsAtIndentation() throws Exception {
        assertThat(errors("""
                operations:
                  - drop_table:
                    table: users
                  - drop_table: {table: a}
                    drop_index: {name: b}
                  - {}
                  - drop_index
                """)).containsExactly(
                "2:5: an operation must have exactly one key naming the operation, found 2: drop_table, table; are"
                        + " the fields of 'drop_table' indented under it?",
                "4:5: an operation must have exactly one key naming the operation, found 2: drop_table, drop_index;"
                        + " write each operation as its own list item",
                "6:5: empty operation; expected one key naming the operation, one of create_table, add_column,"
                        + " drop_column, rename_column, alter_column, rename_table, drop_table, create_index,"
                        + " drop_index, add_constraint, drop_constraint, sql",
                "7:5: an operation must be a mapping with one key naming the operation (like 'create_table:'), got"
                        + " a string");
    }

    @Test
    void yamlAliasesDuplicateKeysAndSecondDocumentsAreRefused() throws Exception {
        assertThat(errors("""
                operations:
                  - drop_table: {table: &t users}
                  - drop_table: {table: *t}
                  - rename_table: {from: a, to: b, from: c}
                ---
                operations: []
                """)).containsExactly(
                "3:25: YAML aliases (*t) are not supported; write the value out",
                "4:36: duplicate key 'from' (first at line 4)",
                "6:1: only one YAML document is allowed in a migration file (found a second one)");
    }

    @Test
    void severalProblemsAreReportedTogetherInOneException() throws Exception {
        Path p = write("005_many.yaml", """
                operations:
                  - create_tabel: {table: t}
                  - drop_column: {table: t}
                  - create_index: {name: i, table: t, columns: []}
                  - sql: {up: "  "}
                """);
        MigrationException e = failure(() -> MigrationReader.readFile(p));
        assertThat(e.problems()).hasSize(4);
        assertThat(e.getMessage()).isEqualTo(String.join("\n",
                p + ":2:5: unknown operation 'create_tabel' (did you mean 'create_table'?); known operations:"
                        + " create_table, add_column, drop_column, rename_column, alter_column, rename_table,"
                        + " drop_table, create_index, drop_index, add_constraint, drop_constraint, sql",
                p + ":3:5: drop_column: missing required field 'column'",
                p + ":4:48: create_index: 'columns' must not be empty",
                p + ":5:15: sql: 'up' must not be empty"));
    }

    // ---------------------------------------------------------------------------------------- directories

    @Test
    void directoryIsOrderedByNumberAndIgnoresOtherFiles() throws Exception {
        String op = "operations:\n  - drop_table: {table: a}\n";
        write("002_b.yaml", op);
        write("10_d.yml", op);
        write("001_a.json", "{\"operations\": [{\"drop_table\": {\"table\": \"a\"}}]}");
        write("002_a.yaml", op);
        write("9_c.yaml", op);
        write("README.md", "not a migration");
        write(".001_hidden.yaml", "garbage: [");
        write("001_notes.txt", "ignored");
        Files.createDirectory(dir.resolve("003_dir.yaml"));

        List<Migration> ms = MigrationReader.readDirectory(dir);

        assertThat(ms).extracting(Migration::name).containsExactly("001_a", "002_a", "002_b", "9_c", "10_d");
        assertThat(ms.get(0).file()).isEqualTo(dir.resolve("001_a.json").toString());
        assertThat(ms.get(4).operations().get(0).location())
                .isEqualTo(new SourceLocation(dir.resolve("10_d.yml").toString(), 2, 5));
    }

    @Test
    void emptyDirectoryHasNoMigrations() {
        assertThat(MigrationReader.readDirectory(dir)).isEmpty();
    }

    @Test
    void badFileNamesAndDuplicateNamesAreErrorsTogetherWithFileProblems() throws Exception {
        String op = "operations:\n  - drop_table: {table: a}\n";
        write("abc.yaml", op);
        write("001_a.yaml", op);
        write("001_a.JSON", "{\"operations\": [{\"drop_table\": {\"table\": \"a\"}}]}");
        write("002.yaml", op);
        write("003_bad.yaml", "operations:\n  - drop_table: {}\n");

        MigrationException e = failure(() -> MigrationReader.readDirectory(dir));

        assertThat(e.problems()).extracting(MigrationException.Problem::toString).containsExactly(
                dir.resolve("001_a.yaml") + ": two files define migration '001_a': 001_a.JSON and 001_a.yaml;"
                        + " keep only one",
                dir.resolve("002.yaml") + ": migration file names must be a number, an underscore and a name, like"
                        + " 001_create_users.yaml; rename '002.yaml'",
                dir.resolve("abc.yaml") + ": migration file names must be a number, an underscore and a name, like"
                        + " 001_create_users.yaml; rename 'abc.yaml'",
                dir.resolve("003_bad.yaml") + ":2:5: drop_table: missing required field 'table'");
    }

    @Test
    void missingDirectoryIsAClearError() {
        Path missing = dir.resolve("nope");
        MigrationException e = failure(() -> MigrationReader.readDirectory(missing));
        assertThat(e.getMessage()).isEqualTo(missing + ": migration directory does not exist");
        assertThat(e.kind()).isEqualTo(TandemException.Kind.INVALID_INPUT);
    }

    @Test
    void checksumChangesWhenTheFileChanges() throws Exception {
        Path p = write("001_a.yaml", "operations:\n  - drop_table: {table: a}\n");
        String before = MigrationReader.readFile(p).checksum();
        assertThat(MigrationReader.readFile(p).checksum()).isEqualTo(before);
        Files.writeString(p, "operations:\n  - drop_table: {table: a}  # comment\n");
        String after = MigrationReader.readFile(p).checksum();
        assertThat(after).hasSize(64).matches("[0-9a-f]{64}").isNotEqualTo(before);
        assertThat(after).isEqualTo(sha256("operations:\n  - drop_table: {table: a}  # comment\n"));
    }

    @Test
    void readFileRefusesOtherExtensionsAndMissingFiles() {
        Path txt = dir.resolve("001_a.txt");
        assertThat(failure(() -> MigrationReader.readFile(txt)).getMessage())
                .isEqualTo(txt + ": a migration file must end in .yaml, .yml or .json");
        Path missing = dir.resolve("001_missing.yaml");
        assertThat(failure(() -> MigrationReader.readFile(missing)).getMessage())
                .isEqualTo(missing + ": file does not exist");
    }

    /** Names starting with _tandem are Tandem's own: a column of that name silently clashed with the backfill flag. */
    @org.junit.jupiter.api.Test
    void tandemsOwnNamesAreReserved() throws IOException {
        assertThat(errors("""
                operations:
                  - add_column: {table: u, column: {name: _tandem_backfilled, type: text}, up: "'x'"}
                """)).singleElement().asString().startsWith("2:").contains("must not start with _tandem");
    }

    /** The version is announced in application_name (63 bytes): a longer one could not be seen by the contract guard. */
    @org.junit.jupiter.api.Test
    void aMigrationNameMustFitInApplicationName() throws IOException {
        write("001_add_a_column_for_the_new_reporting_feature_requested.yaml", "operations: []\n");
        MigrationException e = failure(() -> MigrationReader.readDirectory(dir));
        assertThat(e.getMessage()).contains("is 56 bytes; at most 40 fit").contains("application_name");
    }
}
