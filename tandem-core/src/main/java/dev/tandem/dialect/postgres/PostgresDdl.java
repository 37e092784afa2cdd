package dev.tandem.dialect.postgres;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Step;
import dev.tandem.engine.Step.Effect;
import dev.tandem.engine.Step.Mode;
import dev.tandem.engine.TableLock;
import dev.tandem.migration.ColumnDef;

import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL DDL. Each statement's locks are those the "Explicit Locking" chapter of the PostgreSQL manual and the
 * statement's own page give, per table and view it touches; LockRecordingTest checks them against pg_locks.
 */
final class PostgresDdl implements Ddl {
    private static final LockMode ACCESS_EXCLUSIVE = LockMode.ACCESS_EXCLUSIVE;
    private static final Locks NONE = Locks.derived();

    private static final String CONSTRAINT_EXISTS =
            "SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    + "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ? AND c.conname = ?)";
    private static final String CONSTRAINT_VALIDATED =
            "SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    + "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ? AND c.conname = ? AND c.convalidated)";
    private static final String COLUMN_MISSING =
            "SELECT NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid "
                    + "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ? AND a.attname = ? AND NOT a.attisdropped)";
    private static final String COLUMN_NOT_NULL =
            "SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid "
                    + "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ? AND a.attname = ? AND a.attnotnull)";
    private static final String RELATION_MISSING =
            "SELECT NOT EXISTS (SELECT 1 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?)";

    private static final String INDEX_VALID =
            "SELECT EXISTS (SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    + "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = ? AND i.relname = ? AND x.indisvalid)";
    private static final String INDEX_INVALID =
            "SELECT EXISTS (SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    + "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = ? AND i.relname = ? AND NOT x.indisvalid)";

    private final PostgresDialect d;

    PostgresDdl(PostgresDialect dialect) {
        this.d = dialect;
    }

    private String q(String ident) {
        return d.quote(ident);
    }

    private String t(String schema, String table) {
        return d.qualify(schema, table);
    }

    private static TableLock on(String schema, String table, LockMode mode) {
        return new TableLock(schema, table, mode);
    }

    private static Locks exclusive(String schema, String table) {
        return Locks.derived(on(schema, table, ACCESS_EXCLUSIVE));
    }

    /**
     * Dropping a foreign key drops its triggers on the referenced table too, which takes ACCESS EXCLUSIVE there
     * (a measured fact the manual does not spell out).
     */
    private static Locks exclusiveWithReferenced(String schema, String table, List<String> referencedTables) {
        List<TableLock> locks = new ArrayList<>();
        locks.add(on(schema, table, ACCESS_EXCLUSIVE));
        for (String r : referencedTables) locks.add(on(schema, r, ACCESS_EXCLUSIVE));
        return Locks.derived(locks);
    }

    @Override
    public Step grant(String schema, String relation, List<Grant> grants, String why) {
        List<String> sql = new ArrayList<>();
        for (Grant g : grants) {
            String privilege = switch (g.privilege()) {
                case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER" -> g.privilege();
                default -> throw new IllegalArgumentException("not a table privilege: " + g.privilege());
            };
            sql.add("GRANT " + privilege + (g.column() != null ? " (" + q(g.column()) + ")" : "") + " ON "
                    + d.qualify(schema, relation) + " TO " + grantee(g.grantee()) + (g.grantable() ? " WITH GRANT OPTION" : ""));
        }
        // GRANT changes the catalog row only: it takes no lock on the relation (checked with pg_locks).
        return Step.metadata(why, String.join(";\n", sql), Locks.derived());
    }

    @Override
    public Step grantSchemaUsage(String schema, java.util.Collection<String> roles) {
        return Step.metadata("let " + String.join(", ", roles) + " use schema " + schema, "GRANT USAGE ON SCHEMA " + q(schema)
                + " TO " + String.join(", ", roles.stream().map(this::grantee).toList()), Locks.derived());
    }

    private String grantee(String role) {
        return "PUBLIC".equals(role) ? "PUBLIC" : q(role);
    }

    @Override
    public boolean contractRenames() {
        return true;
    }

    @Override
    public boolean transactionalDdl() {
        return true;
    }

    @Override
    public boolean notNullByCheck() {
        return true;
    }

    /** Contract drops the sync trigger and the columns it filled in one transaction: no moment between them. */
    @Override
    public Step placeholderDefault(String schema, String table, String column, String type) {
        throw new UnsupportedOperationException("PostgreSQL's contract is one transaction: no placeholder default needed");
    }

    @Override
    public Step createSchema(String schema) {
        return Step.metadata("create schema " + schema, "CREATE SCHEMA IF NOT EXISTS " + q(schema), NONE);
    }

    @Override
    public Step dropSchema(String schema, List<String> views) {
        // Dropping a view locks the view, not the table it reads.
        return Step.metadata("drop schema " + schema + " and its views",
                "DROP SCHEMA IF EXISTS " + q(schema) + " CASCADE",
                Locks.derived(views.stream().map(v -> on(schema, v, ACCESS_EXCLUSIVE)).toList()));
    }

    @Override
    public Step createTable(String schema, String table, List<ColumnDef> columns) {
        List<String> parts = new ArrayList<>();
        List<String> pk = new ArrayList<>();
        for (ColumnDef c : columns) {
            StringBuilder sb = new StringBuilder(q(c.name())).append(' ').append(c.type());
            if (c.identity()) sb.append(" GENERATED BY DEFAULT AS IDENTITY");
            if (c.defaultExpr() != null) sb.append(" DEFAULT ").append(c.defaultExpr());
            if (!c.nullable() || c.primaryKey()) sb.append(" NOT NULL");
            parts.add(sb.toString());
            if (c.primaryKey()) pk.add(c.name());
        }
        if (!pk.isEmpty()) parts.add("PRIMARY KEY (" + d.quoteAll(pk) + ")");
        for (ColumnDef c : columns) {
            if (c.unique() && !c.primaryKey()) parts.add("UNIQUE (" + q(c.name()) + ")");
            if (c.check() != null) parts.add("CONSTRAINT " + q(defaultName(table, c.name(), "check")) + " CHECK (" + c.check() + ")");
            if (c.references() != null) {
                parts.add("FOREIGN KEY (" + q(c.name()) + ") REFERENCES " + t(schema, c.references().table())
                        + " (" + q(c.references().column()) + ") ON DELETE " + c.references().onDelete());
            }
        }
        // The new table is locked, though nobody else can see it yet; a REFERENCES adds the foreign key's
        // triggers to the referenced table under SHARE ROW EXCLUSIVE, which blocks its writes for that moment.
        List<TableLock> locks = new ArrayList<>();
        locks.add(on(schema, table, ACCESS_EXCLUSIVE));
        for (ColumnDef c : columns) {
            if (c.references() != null) locks.add(on(schema, c.references().table(), LockMode.SHARE_ROW_EXCLUSIVE));
        }
        return Step.metadata("create table " + table,
                "CREATE TABLE IF NOT EXISTS " + t(schema, table) + " (\n  " + String.join(",\n  ", parts) + "\n)",
                Locks.derived(locks));
    }

    /** PostgreSQL's own naming for unnamed constraints, so that what Tandem builds equals what CREATE TABLE builds. */
    static String defaultName(String table, String column, String suffix) {
        return table + "_" + column + "_" + suffix;
    }

    @Override
    public Step dropTable(String schema, String table, List<String> referencedTables) {
        return Step.metadata("drop table " + table, "DROP TABLE IF EXISTS " + t(schema, table),
                exclusiveWithReferenced(schema, table, referencedTables));
    }

    @Override
    public Step renameTable(String schema, String from, String to) {
        return Step.metadata("rename table " + from + " to " + to,
                "ALTER TABLE " + t(schema, from) + " RENAME TO " + q(to),
                Locks.derived(new TableLock(schema, from, ACCESS_EXCLUSIVE, to)))
                .skipIf(RELATION_MISSING, schema, from);
    }

    @Override
    public Step addColumn(String schema, String table, String column, String type) {
        return Step.metadata("add column " + table + "." + column,
                "ALTER TABLE " + t(schema, table) + " ADD COLUMN IF NOT EXISTS " + q(column) + " " + type,
                exclusive(schema, table));
    }

    @Override
    public Step addColumn(String schema, String table, String column, String type, String collationSchema, String collation) {
        if (collation == null) return addColumn(schema, table, column, type);
        return Step.metadata("add column " + table + "." + column + " with collation " + collation,
                "ALTER TABLE " + t(schema, table) + " ADD COLUMN IF NOT EXISTS " + q(column) + " " + type
                        + " COLLATE " + d.qualify(collationSchema, collation),
                exclusive(schema, table));
    }

    @Override
    public Step setColumnSettings(String schema, String table, String column, String comment, Integer statistics,
                                  List<String> options, String why) {
        List<String> sql = new ArrayList<>();
        if (comment != null) {
            sql.add("COMMENT ON COLUMN " + t(schema, table) + "." + q(column) + " IS " + d.literal(comment));
        }
        List<String> settings = new ArrayList<>();
        if (statistics != null) settings.add("ALTER COLUMN " + q(column) + " SET STATISTICS " + (int) statistics);
        if (!options.isEmpty()) {
            settings.add("ALTER COLUMN " + q(column) + " SET (" + String.join(", ", options.stream().map(PostgresDdl::option).toList()) + ")");
        }
        if (!settings.isEmpty()) sql.add("ALTER TABLE " + t(schema, table) + " " + String.join(", ", settings));
        // COMMENT, SET STATISTICS and SET (attribute_option) take SHARE UPDATE EXCLUSIVE: writes go on.
        return Step.metadata(why, String.join(";\n", sql), Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE)));
    }

    /** An attribute option as attoptions lists it ({@code n_distinct=-0.5}), checked before it is written into SQL. */
    private static String option(String option) {
        int eq = option.indexOf('=');
        String name = eq < 0 ? option : option.substring(0, eq);
        String value = eq < 0 ? "" : option.substring(eq + 1);
        if (!name.matches("[a-z_]+") || !value.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
            throw new IllegalArgumentException("not a column option Tandem can carry: " + option);
        }
        return name + " = " + value;
    }

    private static final String TYPE_ONLY_PLAIN =
            "SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_type ty ON ty.oid = a.atttypid "
                    + "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ? AND a.attname = ? "
                    + "AND NOT a.attisdropped AND ty.typstorage = 'p')";

    @Override
    public Step setColumnStorage(String schema, String table, String column, String storage, String compression, String why) {
        List<String> settings = new ArrayList<>();
        if (storage != null) {
            settings.add("ALTER COLUMN " + q(column) + " SET STORAGE " + switch (storage) {
                case "p" -> "PLAIN";
                case "e" -> "EXTERNAL";
                case "m" -> "MAIN";
                case "x" -> "EXTENDED";
                default -> throw new IllegalArgumentException("unknown storage " + storage);
            });
        }
        if (compression != null) {
            settings.add("ALTER COLUMN " + q(column) + " SET COMPRESSION " + switch (compression) {
                case "p" -> "pglz";
                case "l" -> "lz4";
                default -> throw new IllegalArgumentException("unknown compression " + compression);
            });
        }
        return Step.metadata(why, "ALTER TABLE " + t(schema, table) + " " + String.join(", ", settings), exclusive(schema, table))
                .skipIf(TYPE_ONLY_PLAIN, schema, table, column);
    }

    @Override
    public Step sequenceOwnedBy(String sequenceSchema, String sequence, String schema, String table, String column) {
        // The sequence is locked; the table is only read (ACCESS SHARE) to find the column.
        return Step.metadata("make sequence " + sequence + " belong to " + table + "." + column,
                "ALTER SEQUENCE " + d.qualify(sequenceSchema, sequence) + " OWNED BY " + t(schema, table) + "." + q(column),
                Locks.derived(on(schema, table, LockMode.ACCESS_SHARE)));
    }

    @Override
    public Step sequenceAs(String sequenceSchema, String sequence, String type) {
        String as = switch (type) {
            case "smallint", "integer", "bigint" -> type;
            default -> throw new IllegalArgumentException("not a sequence type: " + type);
        };
        // Locks the sequence only: nextval waits for the moment it takes.
        return Step.metadata("let sequence " + sequence + " go up to the limit of " + as,
                "ALTER SEQUENCE " + d.qualify(sequenceSchema, sequence) + " AS " + as, NONE);
    }

    @Override
    public Step dropColumn(String schema, String table, String column, List<String> referencedTables) {
        return Step.metadata("drop column " + table + "." + column,
                "ALTER TABLE " + t(schema, table) + " DROP COLUMN IF EXISTS " + q(column),
                exclusiveWithReferenced(schema, table, referencedTables));
    }

    @Override
    public Step renameColumn(String schema, String table, String from, String to) {
        return Step.metadata("rename column " + table + "." + from + " to " + to,
                "ALTER TABLE " + t(schema, table) + " RENAME COLUMN " + q(from) + " TO " + q(to), exclusive(schema, table))
                .skipIf(COLUMN_MISSING, schema, table, from);
    }

    @Override
    public Step setDefault(String schema, String table, String column, String expr) {
        return Step.metadata("set default of " + table + "." + column,
                "ALTER TABLE " + t(schema, table) + " ALTER COLUMN " + q(column) + " SET DEFAULT " + expr, exclusive(schema, table));
    }

    @Override
    public Step dropDefault(String schema, String table, String column) {
        return Step.metadata("drop default of " + table + "." + column,
                "ALTER TABLE " + t(schema, table) + " ALTER COLUMN " + q(column) + " DROP DEFAULT", exclusive(schema, table));
    }

    @Override
    public Step addCheckNotValid(String schema, String table, String name, String expr) {
        return Step.metadata("add check " + name + " (not valid: existing rows checked at contract)",
                "ALTER TABLE " + t(schema, table) + " ADD CONSTRAINT " + q(name) + " CHECK (" + expr + ") NOT VALID",
                exclusive(schema, table)).skipIf(CONSTRAINT_EXISTS, schema, table, name);
    }

    @Override
    public Step addForeignKeyNotValid(String schema, String table, String name, List<String> columns, String refSchema,
                                      String refTable, List<String> refColumns, String onDelete) {
        return Step.metadata("add foreign key " + name + " (not valid: existing rows checked at contract)",
                "ALTER TABLE " + t(schema, table) + " ADD CONSTRAINT " + q(name) + " FOREIGN KEY (" + d.quoteAll(columns)
                        + ") REFERENCES " + t(refSchema, refTable) + " (" + d.quoteAll(refColumns) + ") ON DELETE "
                        + onDeleteAction(onDelete) + " NOT VALID",
                Locks.derived(on(schema, table, LockMode.SHARE_ROW_EXCLUSIVE), on(refSchema, refTable, LockMode.SHARE_ROW_EXCLUSIVE)))
                .skipIf(CONSTRAINT_EXISTS, schema, table, name);
    }

    private static String onDeleteAction(String action) {
        return switch (action) {
            case "NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT" -> action;
            default -> throw new IllegalArgumentException("unknown ON DELETE action " + action);
        };
    }

    @Override
    public Step validateConstraint(String schema, String table, String name) {
        return validate(schema, table, name, Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE)));
    }

    @Override
    public Step validateForeignKey(String schema, String table, String name, String refTable) {
        return validate(schema, table, name, Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE),
                on(schema, refTable, LockMode.ROW_SHARE)));
    }

    private Step validate(String schema, String table, String name, Locks locks) {
        return new Step("validate " + name + " over existing rows",
                "ALTER TABLE " + t(schema, table) + " VALIDATE CONSTRAINT " + q(name),
                locks, Effect.SCAN, Mode.LONG).skipIf(CONSTRAINT_VALIDATED, schema, table, name);
    }

    @Override
    public Step setNotNull(String schema, String table, String column) {
        return Step.metadata("set " + table + "." + column + " NOT NULL (proved by the validated check, no scan)",
                "ALTER TABLE " + t(schema, table) + " ALTER COLUMN " + q(column) + " SET NOT NULL", exclusive(schema, table))
                .skipIf(COLUMN_NOT_NULL, schema, table, column);
    }

    @Override
    public Step dropConstraint(String schema, String table, String name) {
        return Step.metadata("drop constraint " + name,
                "ALTER TABLE " + t(schema, table) + " DROP CONSTRAINT IF EXISTS " + q(name), exclusive(schema, table));
    }

    @Override
    public Step dropForeignKey(String schema, String table, String name, String refTable) {
        return Step.metadata("drop foreign key " + name,
                "ALTER TABLE " + t(schema, table) + " DROP CONSTRAINT IF EXISTS " + q(name),
                exclusiveWithReferenced(schema, table, List.of(refTable)));
    }

    @Override
    public Step renameConstraint(String schema, String table, String from, String to) {
        return Step.metadata("rename constraint " + from + " to " + to,
                "ALTER TABLE " + t(schema, table) + " RENAME CONSTRAINT " + q(from) + " TO " + q(to), exclusive(schema, table))
                .skipIf("SELECT NOT (" + CONSTRAINT_EXISTS.substring("SELECT ".length()) + ")", schema, table, from);
    }

    @Override
    public Step createIndex(String schema, String table, String name, Catalog.IndexShape shape, boolean unique) {
        String sql = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX CONCURRENTLY IF NOT EXISTS " + q(name) + " ON "
                + t(schema, table) + " " + indexBody(shape);
        // A concurrent build that fails (or is killed) leaves an INVALID index behind: drop it and build again.
        return new Step("build index " + name + " concurrently", sql,
                Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE)), Effect.BUILD, Mode.CONCURRENT)
                .skipIf(INDEX_VALID, schema, name)
                .repairIf(INDEX_INVALID, "DROP INDEX CONCURRENTLY IF EXISTS " + d.qualify(schema, name));
    }

    /**
     * What follows {@code ON table} in CREATE INDEX, in the order its synopsis gives: method, keys, INCLUDE, NULLS NOT
     * DISTINCT, WITH, TABLESPACE, WHERE. Names are quoted here; expressions come from the catalog, rewritten.
     */
    String indexBody(Catalog.IndexShape shape) {
        List<String> keys = new ArrayList<>();
        for (Catalog.IndexKey k : shape.keys()) {
            StringBuilder sb = new StringBuilder(k.column() != null ? q(k.column()) : k.expression());
            if (k.collation() != null) sb.append(" COLLATE ").append(qualified(k.collation()));
            if (k.opclass() != null) {
                sb.append(' ').append(qualified(k.opclass()));
                if (!k.opclassOptions().isEmpty()) sb.append(" (").append(parameters(k.opclassOptions())).append(')');
            }
            if (k.descending()) sb.append(k.nullsFirst() ? " DESC" : " DESC NULLS LAST");
            else if (k.nullsFirst()) sb.append(" NULLS FIRST");
            keys.add(sb.toString());
        }
        StringBuilder sql = new StringBuilder("USING ").append(indexMethod(shape.method())).append(" (")
                .append(String.join(", ", keys)).append(')');
        if (!shape.include().isEmpty()) sql.append(" INCLUDE (").append(d.quoteAll(shape.include())).append(')');
        if (shape.nullsNotDistinct()) sql.append(" NULLS NOT DISTINCT");
        if (!shape.storage().isEmpty()) sql.append(" WITH (").append(parameters(shape.storage())).append(')');
        if (shape.tablespace() != null) sql.append(" TABLESPACE ").append(q(shape.tablespace()));
        if (shape.predicate() != null) sql.append(" WHERE ").append(shape.predicate());
        return sql.toString();
    }

    private String qualified(Catalog.QualifiedName name) {
        return d.qualify(name.schema(), name.name());
    }

    /** Storage or operator class parameters as the catalog keeps them ({@code name=value}), written back. */
    private String parameters(List<String> options) {
        List<String> out = new ArrayList<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            out.add(q(option.substring(0, eq)) + " = " + d.literal(option.substring(eq + 1)));
        }
        return String.join(", ", out);
    }

    @Override
    public Step alterPolicy(String schema, String table, String policy, String using, String withCheck) {
        return Step.metadata("point policy " + policy + " on " + table + " at the new form",
                "ALTER POLICY " + q(policy) + " ON " + t(schema, table) + (using != null ? " USING (" + using + ")" : "")
                        + (withCheck != null ? " WITH CHECK (" + withCheck + ")" : ""),
                exclusive(schema, table));
    }

    @Override
    public Step replicaIdentityUsingIndex(String schema, String table, String index) {
        return Step.metadata("make index " + index + " the replica identity of " + table,
                "ALTER TABLE " + t(schema, table) + " REPLICA IDENTITY USING INDEX " + q(index), exclusive(schema, table));
    }

    @Override
    public Step clusterOn(String schema, String table, String index) {
        // Marks the index for a later CLUSTER; it moves no rows.
        return Step.metadata("mark index " + index + " for CLUSTER on " + table,
                "ALTER TABLE " + t(schema, table) + " CLUSTER ON " + q(index),
                Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE)));
    }

    private static String indexMethod(String method) {
        return switch (method == null ? "btree" : method) {
            case "btree", "hash", "gin", "gist", "brin", "spgist" -> method == null ? "btree" : method;
            default -> throw new IllegalArgumentException("unknown index method " + method);
        };
    }

    @Override
    public Step dropIndex(String schema, String table, String name) {
        // The index itself is locked ACCESS EXCLUSIVE only at the end, once no transaction can be using it.
        return new Step("drop index " + name + " concurrently", "DROP INDEX CONCURRENTLY IF EXISTS " + d.qualify(schema, name),
                Locks.derived(on(schema, table, LockMode.SHARE_UPDATE_EXCLUSIVE)), Effect.METADATA, Mode.CONCURRENT);
    }

    @Override
    public Step renameIndex(String schema, String table, String from, String to) {
        return Step.metadata("rename index " + from + " to " + to,
                "ALTER INDEX IF EXISTS " + d.qualify(schema, from) + " RENAME TO " + q(to), NONE);
    }

    @Override
    public Step commentOnIndex(String schema, String index, String comment) {
        // COMMENT locks only the object it describes (SHARE UPDATE EXCLUSIVE on the index), not the table.
        return Step.metadata("comment on index " + index, "COMMENT ON INDEX " + d.qualify(schema, index) + " IS "
                + d.literal(comment), NONE);
    }

    @Override
    public Step commentOnConstraint(String schema, String table, String constraint, String comment) {
        return Step.metadata("comment on constraint " + constraint, "COMMENT ON CONSTRAINT " + q(constraint) + " ON "
                + t(schema, table) + " IS " + d.literal(comment),
                // Measured (LockRecordingTest): the table is only read to find the constraint.
                Locks.derived(on(schema, table, LockMode.ACCESS_SHARE)));
    }

    @Override
    public Step addUniqueUsingIndex(String schema, String table, String constraint, String index) {
        return Step.metadata("turn index " + index + " into unique constraint " + constraint,
                "ALTER TABLE " + t(schema, table) + " ADD CONSTRAINT " + q(constraint) + " UNIQUE USING INDEX " + q(index),
                exclusive(schema, table)).skipIf(CONSTRAINT_EXISTS, schema, table, constraint);
    }

    @Override
    public Step addPrimaryKeyUsingIndex(String schema, String table, String constraint, String index) {
        return Step.metadata("turn index " + index + " into primary key " + constraint,
                "ALTER TABLE " + t(schema, table) + " ADD CONSTRAINT " + q(constraint) + " PRIMARY KEY USING INDEX " + q(index),
                exclusive(schema, table)).skipIf(CONSTRAINT_EXISTS, schema, table, constraint);
    }

    @Override
    public Step createView(String versionSchema, String view, String schema, String table, List<ViewColumn> columns,
                           boolean securityInvoker) {
        List<String> cols = new ArrayList<>();
        StringBuilder defaults = new StringBuilder();
        for (ViewColumn c : columns) {
            cols.add(c.physical().equals(c.name()) ? q(c.physical()) : q(c.physical()) + " AS " + q(c.name()));
            if (c.defaultExpr() != null) {
                defaults.append(";\nALTER VIEW ").append(d.qualify(versionSchema, view)).append(" ALTER COLUMN ")
                        .append(q(c.name())).append(" SET DEFAULT ").append(c.defaultExpr());
            }
        }
        return Step.metadata("create view " + versionSchema + "." + view,
                "CREATE OR REPLACE VIEW " + d.qualify(versionSchema, view)
                        + (securityInvoker ? " WITH (security_invoker = true)" : "")
                        + " AS SELECT " + String.join(", ", cols) + " FROM " + t(schema, table) + defaults,
                // Defining the view reads the table's definition (ACCESS SHARE); the view itself is created or replaced.
                Locks.derived(on(versionSchema, view, ACCESS_EXCLUSIVE), on(schema, table, LockMode.ACCESS_SHARE)));
    }

    @Override
    public List<Step> createSyncTrigger(SyncTrigger s) {
        String sql = s.firstTrigger() == null
                ? trigger(s, s.trigger(), s.function(), new SyncTriggerBody(d, s).render())
                : trigger(s, s.firstTrigger(), s.firstFunction(), new SyncTriggerBody(d, s).render(SyncTriggerBody.Part.FIRST))
                + ";\n" + trigger(s, s.trigger(), s.function(), new SyncTriggerBody(d, s).render(SyncTriggerBody.Part.LAST));
        // One step: PostgreSQL creates both triggers of a split sync in one transaction.
        return List.of(Step.metadata(s.firstTrigger() == null ? "create sync trigger on " + s.table()
                        : "create sync triggers on " + s.table() + ", firing before and after its own BEFORE triggers", sql,
                Locks.derived(on(s.schema(), s.table(), LockMode.SHARE_ROW_EXCLUSIVE))));
    }

    private String trigger(SyncTrigger s, String trigger, String function, String body) {
        String tag = "$tandem_sync$";
        return "CREATE OR REPLACE FUNCTION " + d.qualify(s.functionSchema(), function) + "() RETURNS trigger "
                + "LANGUAGE plpgsql AS " + tag + "\n" + body + tag + ";\n"
                // No WHEN clause: PostgreSQL compiles a trigger's WHEN expression once per statement, which cost the
                // applications' single-row writes more than the whole PL/pgSQL call. The body lets backfill writes
                // through with its first test instead.
                + "CREATE OR REPLACE TRIGGER " + q(trigger) + " BEFORE INSERT OR UPDATE ON " + t(s.schema(), s.table())
                + " FOR EACH ROW EXECUTE FUNCTION " + d.qualify(s.functionSchema(), function) + "()";
    }

    @Override
    public List<Step> dropSyncTrigger(SyncTrigger s) {
        String first = s.firstTrigger() == null ? "" : "DROP TRIGGER IF EXISTS " + q(s.firstTrigger()) + " ON "
                + t(s.schema(), s.table()) + ";\nDROP FUNCTION IF EXISTS " + d.qualify(s.functionSchema(), s.firstFunction()) + "();\n";
        return List.of(Step.metadata("drop sync trigger on " + s.table(), first
                        + "DROP TRIGGER IF EXISTS " + q(s.trigger()) + " ON " + t(s.schema(), s.table()) + ";\n"
                        + "DROP FUNCTION IF EXISTS " + d.qualify(s.functionSchema(), s.function()) + "()",
                exclusive(s.schema(), s.table())));
    }

    @Override
    public Step rawSql(String description, String sql) {
        return Step.raw(description, sql);
    }

    @Override
    public String notNullCheck(String column) {
        return q(column) + " IS NOT NULL";
    }
}
