package dev.tandem.migration;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tandem.migration.MigrationException.Problem;
import dev.tandem.migration.Node.ListNode;
import dev.tandem.migration.Node.MapNode;
import dev.tandem.migration.Node.Scalar;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads migration files ({@code NNN_name.yaml}, {@code .yml} or {@code .json}) into {@link Migration}s.
 * Every structural problem of a file is collected and thrown together as one {@link MigrationException},
 * each with its {@code file:line:column}. The format is described in {@code docs/FORMAT.md} and
 * {@code docs/schema/migration.schema.json}; the field sets below are what the schema is tested against.
 */
public final class MigrationReader {

    /** Fields accepted by each operation, by operation key, in the order the operations are documented. */
    public static final Map<String, Set<String>> FIELDS = orderedMap(
            "create_table", set("table", "columns"),
            "add_column", set("table", "column", "up"),
            "drop_column", set("table", "column", "down"),
            "rename_column", set("table", "from", "to"),
            "alter_column", set("table", "column", "type", "nullable", "default", "unique", "check", "references",
                    "up", "down"),
            "rename_table", set("from", "to"),
            "drop_table", set("table"),
            "create_index", set("name", "table", "columns", "unique", "method"),
            "drop_index", set("name"),
            "add_constraint", set("table", "name", "check", "unique", "foreign_key"),
            "drop_constraint", set("table", "name"),
            "sql", set("up", "down"));

    /** Required fields of each operation. */
    public static final Map<String, Set<String>> REQUIRED = orderedMap(
            "create_table", set("table", "columns"),
            "add_column", set("table", "column"),
            "drop_column", set("table", "column"),
            "rename_column", set("table", "from", "to"),
            "alter_column", set("table", "column"),
            "rename_table", set("from", "to"),
            "drop_table", set("table"),
            "create_index", set("name", "table", "columns"),
            "drop_index", set("name"),
            "add_constraint", set("table", "name"),
            "drop_constraint", set("table", "name"),
            "sql", set("up"));

    /**
     * Fields of the nested mappings: {@code column} (a column of create_table), {@code new_column} (the column
     * of add_column: no primary_key), {@code references} (a column's foreign key) and {@code foreign_key}
     * (of add_constraint). The keys equal the names of the schema's {@code $defs}.
     */
    public static final Map<String, Set<String>> NESTED_FIELDS = orderedMap(
            "column", set("name", "type", "nullable", "default", "primary_key", "unique", "generated", "check",
                    "references"),
            "new_column", set("name", "type", "nullable", "default", "unique", "generated", "check", "references"),
            "references", set("table", "column", "on_delete"),
            "foreign_key", set("columns", "references_table", "references_columns", "on_delete"));

    /** Required fields of the nested mappings, keyed like {@link #NESTED_FIELDS}. */
    public static final Map<String, Set<String>> NESTED_REQUIRED = orderedMap(
            "column", set("name", "type"),
            "new_column", set("name", "type"),
            "references", set("table", "column"),
            "foreign_key", set("columns", "references_table", "references_columns"));

    /** Accepted {@code on_delete} actions (case-insensitive in files, stored upper case). */
    public static final Set<String> ON_DELETE_ACTIONS = set("NO ACTION", "RESTRICT", "CASCADE", "SET NULL",
            "SET DEFAULT");

    /** Accepted {@code create_index.method} values (case-insensitive in files, stored lower case). */
    public static final Set<String> INDEX_METHODS = set("btree", "hash", "gin", "gist", "brin", "spgist");

    /** Accepted values of a column's {@code generated}. */
    public static final Set<String> GENERATED_KINDS = set("identity");

    /** PostgreSQL's NAMEDATALEN - 1: longer identifiers would be silently truncated by the server. */
    public static final int MAX_IDENTIFIER_BYTES = 63;

    /** File extensions recognised as migrations (compared case-insensitively). */
    public static final Set<String> EXTENSIONS = set("yaml", "yml", "json");

    private static final Pattern MIGRATION_FILE = Pattern.compile("(\\d+)_(.+)\\.(yaml|yml|json)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern ANY_MIGRATION_EXTENSION = Pattern.compile(".*\\.(yaml|yml|json)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern JACKSON_SOURCE_REF = Pattern.compile(
            "\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonFactory JSON = new JsonFactory();

    private MigrationReader() {
    }

    /**
     * Reads every migration file of {@code dir}: files named {@code NNN_name.yaml}, {@code .yml} or {@code .json},
     * ordered by the number NNN and then by file name. Hidden files, subdirectories and files with other
     * extensions are ignored. A {@code .yaml/.yml/.json} file without the {@code NNN_} prefix, or two files with
     * the same migration name, is an error. Problems of all files are thrown together.
     */
    public static List<Migration> readDirectory(Path dir) {
        String dirName = dir.toString();
        if (!Files.exists(dir)) {
            throw new MigrationException(SourceLocation.unknown(dirName), "migration directory does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new MigrationException(SourceLocation.unknown(dirName), "not a directory");
        }
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new MigrationException(SourceLocation.unknown(dirName), "cannot list directory: " + reason(e));
        }

        List<Problem> problems = new ArrayList<>();
        List<String> migrationFiles = new ArrayList<>();
        Map<String, String> byName = new HashMap<>();
        for (String fileName : names) {
            if (fileName.startsWith(".") || !ANY_MIGRATION_EXTENSION.matcher(fileName).matches()) continue;
            String path = dir.resolve(fileName).toString();
            if (!MIGRATION_FILE.matcher(fileName).matches()) {
                problems.add(new Problem(SourceLocation.unknown(path), "migration file names must be a number, an"
                        + " underscore and a name, like 001_create_users.yaml; rename '" + fileName + "'"));
                continue;
            }
            String name = stripExtension(fileName);
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes > MAX_VERSION_BYTES) {
                // Application instances announce their version in application_name, which PostgreSQL cuts at 63
                // bytes: a longer version could not be seen by status or the contract guard.
                problems.add(new Problem(SourceLocation.unknown(path), "the migration name '" + name + "' is " + nameBytes
                        + " bytes; at most " + MAX_VERSION_BYTES + " fit: it is the version application instances announce"
                        + " as tandem:<version>:<instance> in application_name, which PostgreSQL cuts at 63 bytes. Rename"
                        + " the file to a shorter name"));
                continue;
            }
            String other = byName.putIfAbsent(name, fileName);
            if (other != null) {
                problems.add(new Problem(SourceLocation.unknown(path), "two files define migration '" + name
                        + "': " + other + " and " + fileName + "; keep only one"));
                continue;
            }
            migrationFiles.add(fileName);
        }
        migrationFiles.sort(Comparator.comparing((String f) -> versionNumber(f)).thenComparing(f -> f));

        List<Migration> migrations = new ArrayList<>();
        for (String fileName : migrationFiles) {
            try {
                migrations.add(readFile(dir.resolve(fileName)));
            } catch (MigrationException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
        return List.copyOf(migrations);
    }

    /**
     * Reads one migration file; its extension ({@code .yaml}, {@code .yml} or {@code .json}) selects the parser,
     * and its name without the extension is the migration's name.
     */
    public static Migration readFile(Path file) {
        String path = file.toString();
        Path fileNamePath = file.getFileName();
        String fileName = fileNamePath == null ? path : fileNamePath.toString();
        if (!ANY_MIGRATION_EXTENSION.matcher(fileName).matches()) {
            throw new MigrationException(SourceLocation.unknown(path),
                    "a migration file must end in .yaml, .yml or .json");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MigrationException(SourceLocation.unknown(path), "file does not exist");
        } catch (IOException e) {
            throw new MigrationException(SourceLocation.unknown(path), "cannot read file: " + reason(e));
        }
        String text = MigrationText.decode(bytes, path);
        boolean json = fileName.toLowerCase(Locale.ROOT).endsWith(".json");
        Parse parse = new Parse(path);
        List<Operation> operations = parse.parse(text, json);
        return new Migration(stripExtension(fileName), path, operations, sha256(bytes), parse.fieldLocations);
    }

    // ------------------------------------------------------------------------------------------------------

    private static final class Parse {
        private final String file;
        private final List<Problem> problems = new ArrayList<>();
        final Map<Operation, Map<String, SourceLocation>> fieldLocations = new java.util.IdentityHashMap<>();

        Parse(String file) {
            this.file = file;
        }

        List<Operation> parse(String text, boolean json) {
            Node root;
            JsonParser parser = null;
            try (JsonParser p = json ? JSON.createParser(text) : YAML.createParser(text)) {
                parser = p;
                root = Node.read(p, file, problems);
            } catch (StreamConstraintsException e) {
                // Jackson's own message names its internals; say what is wrong with the file, and where.
                JsonLocation at = parser == null ? null : parser.currentTokenLocation();
                problems.add(new Problem(jacksonLocation(at), "values are nested more than "
                        + StreamReadConstraints.DEFAULT_MAX_DEPTH + " levels deep here; a migration needs only a few"
                        + " levels: look for brackets that are opened but never closed"));
                throw new MigrationException(problems);
            } catch (JsonProcessingException e) {
                problems.add(syntaxProblem(e, json));
                throw new MigrationException(problems);
            } catch (IOException e) {
                problems.add(new Problem(SourceLocation.unknown(file), "cannot read file: " + reason(e)));
                throw new MigrationException(problems);
            }
            List<Operation> ops = operations(root);
            if (!problems.isEmpty()) throw new MigrationException(problems);
            return ops;
        }

        private Problem syntaxProblem(JsonProcessingException e, boolean json) {
            String kind = json ? "invalid JSON: " : "invalid YAML: ";
            if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m) {
                org.yaml.snakeyaml.error.Mark pm = m.getProblemMark();
                SourceLocation loc = pm != null ? new SourceLocation(file, pm.getLine() + 1, pm.getColumn() + 1)
                        : jacksonLocation(e.getLocation());
                String problem = m.getProblem();
                String context = m.getContext();
                org.yaml.snakeyaml.error.Mark cm = m.getContextMark();
                String msg;
                if (problem == null) {
                    msg = context == null ? firstLine(e.getOriginalMessage()) : context;
                } else if (context != null && cm != null) {
                    msg = problem + " (" + context + " at line " + (cm.getLine() + 1) + ", column "
                            + (cm.getColumn() + 1) + ")";
                } else {
                    msg = problem;
                }
                return new Problem(loc, kind + oneLine(msg) + yamlHint(problem));
            }
            String msg = e.getOriginalMessage();
            if (msg == null) msg = e.getClass().getSimpleName();
            Matcher m = JACKSON_SOURCE_REF.matcher(msg);
            msg = m.replaceAll("line $1, column $2");
            return new Problem(jacksonLocation(e.getLocation()), kind + jsonAdvice(oneLine(firstLine(msg))));
        }

        /** Jackson's messages name its parser features; say instead what JSON allows. */
        private static String jsonAdvice(String msg) {
            if (msg.contains("maybe a (non-standard) comment?")) {
                return "JSON has no comments; remove it (YAML migration files may have # comments)";
            }
            if (msg.contains("(''' (code 39))")) return msg + "; JSON needs double quotes around names and strings";
            // A '}' or ']' where a name or value must come: a comma before it, which JSON does not allow.
            if (msg.contains("('}' (code 125))") || msg.contains("(']' (code 93))")) {
                return msg + "; remove the comma before it";
            }
            return msg;
        }

        /** What to do about SnakeYAML's most common complaints, which say what the parser expected, not why. */
        private static String yamlHint(String problem) {
            if (problem == null) return "";
            if (problem.startsWith("expected <block end>")) {
                return "; indent this line like the other fields of its mapping (spaces only)";
            }
            if (problem.startsWith("mapping values are not allowed")) {
                return "; quote a value that contains ': ', and indent a field like the fields beside it";
            }
            if (problem.startsWith("expected ',' or '}'") || problem.startsWith("expected ',' or ']'")) {
                return "; close the bracket opened there, or separate its entries with commas";
            }
            if (problem.contains("unexpected end of stream")) {
                return "; close the quote or bracket opened there";
            }
            return "";
        }

        private SourceLocation jacksonLocation(JsonLocation l) {
            if (l == null || l.getLineNr() <= 0) return SourceLocation.unknown(file);
            return new SourceLocation(file, l.getLineNr(), Math.max(l.getColumnNr(), 1));
        }

        void error(SourceLocation loc, String message) {
            problems.add(new Problem(loc, message));
        }

        // ---- top level ----

        List<Operation> operations(Node root) {
            List<Operation> ops = new ArrayList<>();
            if (root == null || Node.isNull(root)) {
                error(new SourceLocation(file, 1, 1), "the file is empty; it must be a mapping with the key"
                        + " 'operations' (a list of operations)");
                return ops;
            }
            if (Node.isInvalid(root)) return ops;
            if (!(root instanceof MapNode map)) {
                error(root.location, "the file must be a mapping with the key 'operations', got "
                        + root.describe() + (root instanceof ListNode ? " (write 'operations:' above the list)" : ""));
                return ops;
            }
            for (MapNode.Entry e : map.entries.values()) {
                if (!e.key().equals("operations")) {
                    error(e.keyLocation(), "unknown top-level key '" + e.key() + "'" + didYouMean(e.key(),
                            Set.of("operations")) + "; a migration file has only the key 'operations'");
                }
            }
            MapNode.Entry opsEntry = map.entry("operations");
            if (opsEntry == null) {
                error(map.location, "missing the key 'operations' (a list of operations)");
                return ops;
            }
            Node list = opsEntry.value();
            if (Node.isInvalid(list)) return ops;
            if (Node.isNull(list) || (list instanceof ListNode l && l.items.isEmpty())) {
                error(opsEntry.keyLocation(), "'operations' must not be empty");
                return ops;
            }
            if (!(list instanceof ListNode items)) {
                error(list.location, "'operations' must be a list, got " + list.describe());
                return ops;
            }
            for (Node item : items.items) {
                Operation op = operation(item);
                if (op != null) ops.add(op);
            }
            return ops;
        }

        Operation operation(Node item) {
            if (Node.isInvalid(item)) return null;
            if (!(item instanceof MapNode m)) {
                error(item.location, "an operation must be a mapping with one key naming the operation"
                        + " (like 'create_table:'), got " + item.describe());
                return null;
            }
            if (m.entries.isEmpty()) {
                error(m.location, "empty operation; expected one key naming the operation, one of "
                        + String.join(", ", FIELDS.keySet()));
                return null;
            }
            if (m.entries.size() > 1) {
                List<String> keys = new ArrayList<>(m.entries.keySet());
                List<String> known = keys.stream().filter(FIELDS::containsKey).toList();
                String hint = known.size() == 1
                        ? "; are the fields of '" + known.get(0) + "' indented under it?"
                        : "; write each operation as its own list item";
                error(m.location, "an operation must have exactly one key naming the operation, found "
                        + keys.size() + ": " + String.join(", ", keys) + hint);
                return null;
            }
            MapNode.Entry e = m.entries.values().iterator().next();
            String kind = e.key();
            SourceLocation loc = e.keyLocation();
            if (!FIELDS.containsKey(kind)) {
                error(loc, "unknown operation '" + kind + "'" + didYouMean(kind, FIELDS.keySet())
                        + "; known operations: " + String.join(", ", FIELDS.keySet()));
                return null;
            }
            Node value = e.value();
            if (Node.isInvalid(value)) return null;
            MapNode fields;
            if (Node.isNull(value)) {
                fields = new MapNode(loc, new LinkedHashMap<>());
            } else if (value instanceof MapNode vm) {
                fields = vm;
            } else {
                error(value.location, "'" + kind + "' must be followed by a mapping of its fields ("
                        + String.join(", ", FIELDS.get(kind)) + "), got " + value.describe());
                return null;
            }
            Operation op = switch (kind) {
                case "create_table" -> createTable(fields, loc);
                case "add_column" -> addColumn(fields, loc);
                case "drop_column" -> dropColumn(fields, loc);
                case "rename_column" -> renameColumn(fields, loc);
                case "alter_column" -> alterColumn(fields, loc);
                case "rename_table" -> renameTable(fields, loc);
                case "drop_table" -> dropTable(fields, loc);
                case "create_index" -> createIndex(fields, loc);
                case "drop_index" -> dropIndex(fields, loc);
                case "add_constraint" -> addConstraint(fields, loc);
                case "drop_constraint" -> dropConstraint(fields, loc);
                case "sql" -> rawSql(fields, loc);
                default -> throw new IllegalStateException(kind);
            };
            if (op != null) fieldLocations.put(op, locations(fields));
            return op;
        }

        /** Where each field's value was written, and each field of a nested mapping as {@code field.nested}. */
        private Map<String, SourceLocation> locations(MapNode fields) {
            Map<String, SourceLocation> at = new LinkedHashMap<>();
            for (MapNode.Entry e : fields.entries.values()) {
                at.put(e.key(), e.value() != null && e.value().location != null ? e.value().location : e.keyLocation());
                if (e.value() instanceof MapNode nested) {
                    for (MapNode.Entry n : nested.entries.values()) {
                        at.put(e.key() + "." + n.key(), n.value() != null && n.value().location != null
                                ? n.value().location : n.keyLocation());
                    }
                }
            }
            return at;
        }

        // ---- operations ----

        Operation createTable(MapNode m, SourceLocation loc) {
            Fields f = op(m, "create_table", loc, Map.of());
            String table = f.identifier("table");
            List<ColumnDef> columns = new ArrayList<>();
            ListNode list = f.nonEmptyList("columns");
            if (list != null) {
                Map<String, ColumnDef> seen = new HashMap<>();
                for (Node item : list.items) {
                    ColumnDef c = column(item, "create_table column", "column");
                    if (c == null) continue;
                    if (c.name() != null) {
                        ColumnDef first = seen.putIfAbsent(c.name(), c);
                        if (first != null) {
                            error(c.location(), "create_table: duplicate column '" + c.name() + "' (first at line "
                                    + first.location().line() + ")");
                            continue;
                        }
                    }
                    columns.add(c);
                }
            }
            return new Operation.CreateTable(table, List.copyOf(columns), loc);
        }

        Operation addColumn(MapNode m, SourceLocation loc) {
            Fields f = op(m, "add_column", loc, Map.of());
            String table = f.identifier("table");
            Node colNode = f.value("column");
            ColumnDef column = colNode == null ? null : column(colNode, "add_column column", "new_column");
            String up = f.expression("up");
            return new Operation.AddColumn(table, column, up, loc);
        }

        Operation dropColumn(MapNode m, SourceLocation loc) {
            Fields f = op(m, "drop_column", loc, Map.of());
            return new Operation.DropColumn(f.identifier("table"), f.identifier("column"), f.expression("down"), loc);
        }

        Operation renameColumn(MapNode m, SourceLocation loc) {
            Fields f = op(m, "rename_column", loc, Map.of());
            return new Operation.RenameColumn(f.identifier("table"), f.identifier("from"), f.identifier("to"), loc);
        }

        Operation alterColumn(MapNode m, SourceLocation loc) {
            Fields f = op(m, "alter_column", loc, Map.of(
                    "rename", "alter_column cannot rename a column; use a separate rename_column operation"));
            String table = f.identifier("table");
            String column = f.identifier("column");
            String type = f.expression("type");
            Boolean nullable = f.bool("nullable");
            boolean defaultChanged = m.has("default");
            String defaultExpr = f.expressionOrNull("default");
            Boolean unique = f.bool("unique");
            String check = f.expression("check");
            ForeignKey references = f.has("references") ? references(f.value("references"),
                    "alter_column references") : null;
            String up = f.expression("up");
            String down = f.expression("down");
            List<String> changes = List.of("type", "nullable", "default", "unique", "check", "references");
            if (changes.stream().noneMatch(m::has) && !m.has("rename")) {
                error(loc, "alter_column: nothing to change; give at least one of " + String.join(", ", changes));
            }
            return new Operation.AlterColumn(table, column, type, nullable, defaultChanged, defaultExpr, unique,
                    check, references, up, down, loc);
        }

        Operation renameTable(MapNode m, SourceLocation loc) {
            Fields f = op(m, "rename_table", loc, Map.of());
            return new Operation.RenameTable(f.identifier("from"), f.identifier("to"), loc);
        }

        Operation dropTable(MapNode m, SourceLocation loc) {
            Fields f = op(m, "drop_table", loc, Map.of());
            return new Operation.DropTable(f.identifier("table"), loc);
        }

        Operation createIndex(MapNode m, SourceLocation loc) {
            Fields f = op(m, "create_index", loc, Map.of());
            String name = f.identifier("name");
            String table = f.identifier("table");
            List<String> columns = f.identifierList("columns");
            Boolean unique = f.bool("unique");
            String method = f.choice("method", INDEX_METHODS, false);
            return new Operation.CreateIndex(name, table, columns, unique != null && unique,
                    method == null ? "btree" : method, loc);
        }

        Operation dropIndex(MapNode m, SourceLocation loc) {
            Fields f = op(m, "drop_index", loc, Map.of());
            return new Operation.DropIndex(f.identifier("name"), loc);
        }

        Operation addConstraint(MapNode m, SourceLocation loc) {
            Fields f = op(m, "add_constraint", loc, Map.of());
            String table = f.identifier("table");
            String name = f.identifier("name");
            List<String> kinds = List.of("check", "unique", "foreign_key");
            List<String> given = kinds.stream().filter(m::has).toList();
            if (given.isEmpty()) {
                error(loc, "add_constraint: give exactly one of check, unique, foreign_key");
            } else if (given.size() > 1) {
                error(m.entry(given.get(1)).keyLocation(), "add_constraint: give exactly one of check, unique,"
                        + " foreign_key; found " + String.join(" and ", given));
            }
            String check = f.expression("check");
            List<String> unique = f.identifierList("unique");
            Operation.ForeignKeyConstraint fk = f.has("foreign_key") ? foreignKey(f.value("foreign_key")) : null;
            return new Operation.AddConstraint(table, name, check, unique, fk, loc);
        }

        Operation dropConstraint(MapNode m, SourceLocation loc) {
            Fields f = op(m, "drop_constraint", loc, Map.of());
            return new Operation.DropConstraint(f.identifier("table"), f.identifier("name"), loc);
        }

        Operation rawSql(MapNode m, SourceLocation loc) {
            Fields f = op(m, "sql", loc, Map.of());
            return new Operation.RawSql(f.sql("up"), f.sql("down"), loc);
        }

        // ---- nested mappings ----

        /** @param schemaKey "column" or "new_column" (add_column: primary_key not allowed) */
        ColumnDef column(Node node, String what, String schemaKey) {
            MapNode m = mapping(node, what);
            if (m == null) return null;
            Map<String, String> special = schemaKey.equals("new_column")
                    ? Map.of("primary_key", "add_column: a column with primary_key cannot be added to an existing"
                    + " table; declare primary keys in create_table")
                    : Map.of();
            Fields f = new Fields(m, what, m.location, NESTED_FIELDS.get(schemaKey), NESTED_REQUIRED.get(schemaKey),
                    special);
            String name = f.identifier("name");
            String type = f.expression("type");
            Boolean nullableGiven = f.bool("nullable");
            String defaultExpr = f.expressionOrNull("default");
            Boolean pkGiven = schemaKey.equals("column") ? f.bool("primary_key") : null;
            boolean primaryKey = pkGiven != null && pkGiven;
            Boolean uniqueGiven = f.bool("unique");
            String generated = f.choice("generated", GENERATED_KINDS, false);
            String check = f.expression("check");
            ForeignKey references = f.has("references") ? references(f.value("references"), what + " references")
                    : null;
            boolean nullable = nullableGiven == null || nullableGiven;
            if (primaryKey) {
                if (nullableGiven != null && nullableGiven) {
                    error(m.entry("nullable").value().location, what + ": a primary key column cannot be nullable");
                }
                nullable = false;
            }
            if (generated != null) {
                if (nullableGiven != null && nullableGiven && !primaryKey) {
                    error(m.entry("nullable").value().location, what
                            + ": an identity column cannot be nullable");
                }
                if (defaultExpr != null) {
                    error(m.entry("default").keyLocation(), what
                            + ": a column cannot have both a default and generated: identity");
                }
                nullable = false;
            }
            return new ColumnDef(name, type, nullable, defaultExpr, primaryKey, uniqueGiven != null && uniqueGiven,
                    generated, check, references, m.location);
        }

        ForeignKey references(Node node, String what) {
            MapNode m = mapping(node, what);
            if (m == null) return null;
            Fields f = new Fields(m, what, m.location, NESTED_FIELDS.get("references"),
                    NESTED_REQUIRED.get("references"), Map.of());
            String table = f.identifier("table");
            String column = f.identifier("column");
            String onDelete = f.choice("on_delete", ON_DELETE_ACTIONS, true);
            return new ForeignKey(table, column, onDelete);
        }

        Operation.ForeignKeyConstraint foreignKey(Node node) {
            String what = "add_constraint foreign_key";
            MapNode m = mapping(node, what);
            if (m == null) return null;
            Fields f = new Fields(m, what, m.location, NESTED_FIELDS.get("foreign_key"),
                    NESTED_REQUIRED.get("foreign_key"), Map.of());
            List<String> columns = f.identifierList("columns");
            String table = f.identifier("references_table");
            List<String> refColumns = f.identifierList("references_columns");
            String onDelete = f.choice("on_delete", ON_DELETE_ACTIONS, true);
            if (columns != null && refColumns != null && columns.size() != refColumns.size()) {
                error(m.entry("references_columns").value().location, what + ": 'columns' has " + columns.size()
                        + " entries but 'references_columns' has " + refColumns.size() + "; they must match");
            }
            return new Operation.ForeignKeyConstraint(columns, table, refColumns, onDelete);
        }

        MapNode mapping(Node node, String what) {
            if (node == null || Node.isInvalid(node)) return null;
            if (node instanceof MapNode m) return m;
            error(node.location, what + " must be a mapping, got " + node.describe());
            return null;
        }

        Fields op(MapNode m, String kind, SourceLocation loc, Map<String, String> special) {
            return new Fields(m, kind, loc, FIELDS.get(kind), REQUIRED.get(kind), special);
        }

        /**
         * The fields of one mapping: reports unknown and missing fields when created, then reads values, each
         * getter reporting a wrong type or value and returning null for an absent or bad field.
         */
        final class Fields {
            private final MapNode map;
            private final String what;

            Fields(MapNode map, String what, SourceLocation where, Set<String> allowed, Set<String> required,
                   Map<String, String> special) {
                this.map = map;
                this.what = what;
                for (MapNode.Entry e : map.entries.values()) {
                    String special1 = special.get(e.key());
                    if (special1 != null) {
                        error(e.keyLocation(), special1);
                    } else if (!allowed.contains(e.key())) {
                        error(e.keyLocation(), what + ": unknown field '" + e.key() + "'"
                                + didYouMean(e.key(), allowed) + "; allowed fields: " + String.join(", ", allowed));
                    }
                }
                for (String r : required) {
                    if (!map.has(r)) error(where, what + ": missing required field '" + r + "'");
                }
            }

            boolean has(String key) {
                return map.has(key);
            }

            Node value(String key) {
                return map.get(key);
            }

            private void bad(Node n, String message) {
                error(n.location, what + ": '" + message);
            }

            /** Text of a scalar (numbers and booleans as written); null if absent, null or not a scalar. */
            String string(String key) {
                Node n = map.get(key);
                if (n == null || Node.isInvalid(n)) return null;
                if (n instanceof Scalar s && s.kind != Scalar.Kind.NULL) {
                    if (s.text.indexOf('\0') >= 0) {
                        bad(n, key + "' must not contain NUL characters");
                        return null;
                    }
                    return s.text;
                }
                bad(n, key + "' must be a string, got " + n.describe());
                return null;
            }

            String identifier(String key) {
                Node n = map.get(key);
                String s = string(key);
                if (s == null) return null;
                String problem = identifierProblem(s);
                if (problem != null) {
                    bad(n, key + "' " + problem);
                    return null;
                }
                return s;
            }

            /** A SQL expression or type: surrounding whitespace removed, must not be empty. */
            String sql(String key) {
                Node n = map.get(key);
                String s = string(key);
                if (s == null) return null;
                s = s.strip();
                if (s.isEmpty()) {
                    bad(n, key + "' must not be empty");
                    return null;
                }
                return s;
            }

            /**
             * A SQL expression (or type) that Tandem writes into statements of its own: it must not be able to end or
             * escape them (see {@link SqlExpressionText}).
             */
            String expression(String key) {
                String s = sql(key);
                if (s == null) return null;
                String problem = SqlExpressionText.problem(s);
                if (problem != null) {
                    bad(map.get(key), key + "' " + problem);
                    return null;
                }
                return s;
            }

            /** Like {@link #expression} but null is an accepted value (returns null). */
            String expressionOrNull(String key) {
                return Node.isNull(map.get(key)) ? null : expression(key);
            }

            Boolean bool(String key) {
                Node n = map.get(key);
                if (n == null || Node.isInvalid(n)) return null;
                if (n instanceof Scalar s && s.kind == Scalar.Kind.BOOLEAN) return s.booleanValue;
                String got = n instanceof Scalar s && s.kind == Scalar.Kind.STRING
                        ? "a string (write true or false without quotes)" : n.describe();
                bad(n, key + "' must be a boolean (true or false), got " + got);
                return null;
            }

            /** One of {@code allowed}, compared case-insensitively (and, if {@code words}, with spaces collapsed). */
            String choice(String key, Set<String> allowed, boolean words) {
                Node n = map.get(key);
                String s = string(key);
                if (s == null) return null;
                String normal = s.strip();
                if (words) normal = normal.replaceAll("\\s+", " ");
                for (String a : allowed) {
                    if (a.equalsIgnoreCase(normal)) return a;
                }
                bad(n, key + "' must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
                return null;
            }

            ListNode nonEmptyList(String key) {
                Node n = map.get(key);
                if (n == null || Node.isInvalid(n)) return null;
                if (!(n instanceof ListNode l)) {
                    bad(n, key + "' must be a list, got " + n.describe());
                    return null;
                }
                if (l.items.isEmpty()) {
                    bad(n, key + "' must not be empty");
                    return null;
                }
                return l;
            }

            List<String> identifierList(String key) {
                ListNode l = nonEmptyList(key);
                if (l == null) return null;
                List<String> out = new ArrayList<>();
                boolean ok = true;
                int i = 0;
                for (Node item : l.items) {
                    i++;
                    if (Node.isInvalid(item)) {
                        ok = false;
                        continue;
                    }
                    if (!(item instanceof Scalar s) || s.kind == Scalar.Kind.NULL) {
                        bad(item, key + "' entry " + i + " must be a string, got " + item.describe());
                        ok = false;
                        continue;
                    }
                    String problem = s.text.indexOf('\0') >= 0 ? "must not contain NUL characters"
                            : identifierProblem(s.text);
                    if (problem != null) {
                        bad(item, key + "' entry " + i + " " + problem);
                        ok = false;
                        continue;
                    }
                    out.add(s.text);
                }
                return ok ? List.copyOf(out) : null;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------

    /** Why {@code name} is not an acceptable PostgreSQL identifier, or null if it is. */
    /** The longest migration name: "tandem:" + name + ":" + an instance id of 15 bytes fit in application_name. */
    static final int MAX_VERSION_BYTES = 40;

    static String identifierProblem(String name) {
        if (name.isEmpty()) return "must not be empty";
        if (name.startsWith("_tandem")) {
            return "must not start with _tandem: such names are Tandem's own (shadow columns, the backfill flag,"
                    + " temporary constraints); choose another name";
        }
        if (name.indexOf('\0') >= 0) return "must not contain NUL characters";
        for (int i = 0; i < name.length(); i++) {
            // Legal in a quoted PostgreSQL name, but never meant: a newline or a terminal escape sequence in a name
            // would also reach plan output, logs and terminals as it is.
            if (Character.isISOControl(name.charAt(i))) {
                return "must not contain control characters (found U+%04X at position %d)".formatted((int) name.charAt(i), i + 1);
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_IDENTIFIER_BYTES) {
            return "is too long (" + bytes + " bytes; PostgreSQL identifiers have at most " + MAX_IDENTIFIER_BYTES
                    + " bytes)";
        }
        return null;
    }

    /** " (did you mean 'x'?)" for the closest candidate within a small edit distance, or "". */
    static String didYouMean(String given, Set<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String g = given.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            int d = editDistance(g, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        int limit = given.length() <= 3 ? 1 : given.length() <= 6 ? 2 : 3;
        return best != null && bestDistance <= limit ? " (did you mean '" + best + "'?)" : "";
    }

    /** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static BigInteger versionNumber(String fileName) {
        Matcher m = MIGRATION_FILE.matcher(fileName);
        if (!m.matches()) throw new IllegalStateException(fileName);
        return new BigInteger(m.group(1));
    }

    private static String stripExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot < 0 ? fileName : fileName.substring(0, dot);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String reason(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static Set<String> set(String... values) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(values)));
    }

    private static Map<String, Set<String>> orderedMap(Object... keysAndValues) {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            Set<String> v = (Set<String>) keysAndValues[i + 1];
            m.put((String) keysAndValues[i], v);
        }
        return Collections.unmodifiableMap(m);
    }
}
