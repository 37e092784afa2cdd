package dev.tandem.catalog;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The live schema as the database reports it: the input of the planner, and what tests compare. */
public record Catalog(String schema, Map<String, Table> tables, Map<String, String> indexToTable, int serverVersion,
                      java.util.Set<String> collatableTypes, List<Publication> schemaPublications, List<View> views) {

    /**
     * @param collatableTypes    the names (as {@code format_type} and as {@code typname} print them) of the types that
     *                           take a collation, so a collation is carried only to a type that can have one
     * @param schemaPublications publications that cover every table of the schema
     */
    public Catalog(String schema, Map<String, Table> tables, Map<String, String> indexToTable, int serverVersion) {
        this(schema, tables, indexToTable, serverVersion, java.util.Set.of(), List.of());
    }

    /** A catalog without views: the PostgreSQL reader finds the views over a table when it needs them (dropBlockers). */
    public Catalog(String schema, Map<String, Table> tables, Map<String, String> indexToTable, int serverVersion,
                   java.util.Set<String> collatableTypes, List<Publication> schemaPublications) {
        this(schema, tables, indexToTable, serverVersion, collatableTypes, schemaPublications, List.of());
    }

    /**
     * @param privileges    what roles other than the owner may do with the table or its columns
     * @param rowSecurity   whether row-level security is enabled on the table
     * @param inheritance   its inheritance parents and children ({@code INHERITS}, not declarative partitions)
     * @param replication   its replica identity and the publications that publish it
     * @param policies      its row-level security policies
     */
    public record Table(String name, List<Column> columns, List<String> primaryKey, List<Constraint> constraints,
                        List<Index> indexes, List<Privilege> privileges, boolean rowSecurity, List<Trigger> triggers,
                        Inheritance inheritance, Replication replication, List<Policy> policies) {
        public Table(String name, List<Column> columns, List<String> primaryKey, List<Constraint> constraints,
                     List<Index> indexes) {
            this(name, columns, primaryKey, constraints, indexes, List.of(), false, List.of(), Inheritance.NONE,
                    Replication.NONE, List.of());
        }

        public Optional<Column> column(String name) {
            return columns.stream().filter(c -> c.name().equals(name)).findFirst();
        }
    }

    /**
     * @param type         as {@code format_type} prints it
     * @param defaultExpr  as {@code pg_get_expr} prints it, or null
     * @param identity     'a' (always), 'd' (by default) or empty
     * @param attributes   what else the column carries (comment, statistics, storage, collation...)
     * @param sequence     the sequence the column owns ({@code serial}, {@code OWNED BY}) or its identity's, or null
     * @param defaultDraws whether its default draws from a sequence ({@code nextval}), which a second evaluation
     *                     would advance
     */
    public record Column(String name, String type, boolean notNull, String defaultExpr, String identity, int position,
                         Attributes attributes, Sequence sequence, boolean defaultDraws) {
        public Column(String name, String type, boolean notNull, String defaultExpr, String identity, int position) {
            this(name, type, notNull, defaultExpr, identity, position, Attributes.NONE, null, false);
        }

        public boolean isIdentity() {
            return identity != null && !identity.isEmpty();
        }
    }

    /**
     * A column's own settings beyond type, nullability and default, each null (or empty) where the column has the
     * server's or its type's default.
     *
     * @param comment          {@code col_description}
     * @param statistics       {@code attstattarget} when set
     * @param options          {@code attoptions} as {@code name=value} ({@code n_distinct}, {@code n_distinct_inherited})
     * @param storage          {@code attstorage} when it is not the type's default ({@code p}, {@code e}, {@code m}, {@code x})
     * @param collationSchema  where the collation is, when it is not the type's default
     * @param collation        {@code attcollation} when it is not the type's default
     * @param compression      {@code attcompression} when set ({@code p} pglz, {@code l} lz4)
     */
    public record Attributes(String comment, Integer statistics, List<String> options, String storage,
                             String collationSchema, String collation, String compression) {
        public static final Attributes NONE = new Attributes(null, null, List.of(), null, null, null, null);

        public Attributes {
            options = options == null ? List.of() : List.copyOf(options);
        }
    }

    /** A sequence: where it is, and its data type as {@code format_type} prints it. */
    public record Sequence(String schema, String name, String type) {
    }

    /** @param type p (primary key), u (unique), c (check), f (foreign key); {@code definition} from pg_get_constraintdef */
    public record Constraint(String name, char type, List<String> columns, String definition, boolean validated,
                             Reference reference, String comment) {

        public Constraint(String name, char type, List<String> columns, String definition, boolean validated) {
            this(name, type, columns, definition, validated, null, null);
        }

        /**
         * What a foreign key references, from the catalog (not its text): the table in whatever schema it is, the
         * columns, and its ON DELETE action as SQL says it.
         */
        public record Reference(String schema, String table, List<String> columns, String onDelete) {
        }

        /**
         * The table a foreign key references, by its name without schema, read from {@code definition}
         * ({@code FOREIGN KEY (a) REFERENCES "x"."t"(id) ...}); null for other constraints.
         */
        public String referencedTable() {
            if (type != 'f') return null;
            if (reference != null) return reference.table();
            int at = definition.indexOf(" REFERENCES ");
            if (at < 0) return null;
            int i = at + " REFERENCES ".length();
            String last = null;
            while (i < definition.length()) {
                StringBuilder name = new StringBuilder();
                if (definition.charAt(i) == '"') {
                    for (i++; i < definition.length(); i++) {
                        char ch = definition.charAt(i);
                        if (ch == '"' && i + 1 < definition.length() && definition.charAt(i + 1) == '"') {
                            name.append('"');
                            i++;
                        } else if (ch == '"') {
                            i++;
                            break;
                        } else {
                            name.append(ch);
                        }
                    }
                } else {
                    while (i < definition.length() && ".( ".indexOf(definition.charAt(i)) < 0) name.append(definition.charAt(i++));
                }
                last = name.toString();
                if (i < definition.length() && definition.charAt(i) == '.') i++;
                else break;
            }
            return last;
        }
    }

    /**
     * @param definition      from pg_get_indexdef; {@code constraint} names the constraint it backs, or null
     * @param shape           its whole definition, piece by piece, to build it again on other columns
     * @param replicaIdentity whether it is the table's REPLICA IDENTITY
     * @param clustered       whether it is the table's CLUSTER mark
     */
    public record Index(String name, List<String> columns, boolean unique, boolean valid, String definition,
                        String constraint, boolean simple, IndexShape shape, boolean replicaIdentity, boolean clustered,
                        String comment) {
        public Index(String name, List<String> columns, boolean unique, boolean valid, String definition,
                     String constraint, boolean simple) {
            this(name, columns, unique, valid, definition, constraint, simple, null, false, false, null);
        }
    }

    /** A name in a schema: an operator class, a collation. */
    public record QualifiedName(String schema, String name) {
    }

    /**
     * Everything {@code CREATE INDEX} takes besides the index's name and table ("CREATE INDEX" in the PostgreSQL
     * manual), as the catalog has it.
     *
     * @param method           the access method (btree, gin, ...)
     * @param keys             the key columns and expressions, in order
     * @param include          the INCLUDE columns
     * @param nullsNotDistinct NULLS NOT DISTINCT (PostgreSQL 15+)
     * @param storage          storage parameters ({@code reloptions}), each {@code name=value}
     * @param tablespace       its tablespace, or null for the database's default
     * @param predicate        the WHERE of a partial index (pg_get_expr), or null
     */
    public record IndexShape(String method, List<IndexKey> keys, List<String> include, boolean nullsNotDistinct,
                             List<String> storage, String tablespace, String predicate) {
    }

    /**
     * One key of an index: a column or an expression (exactly one is set).
     *
     * @param expression     as pg_get_indexdef prints the key (with its parentheses), for an expression key
     * @param collation      a collation the index has that its column does not, or null
     * @param opclass        an operator class that is not the default for its type, or null
     * @param opclassOptions the operator class's parameters, each {@code name=value}
     */
    public record IndexKey(String column, String expression, QualifiedName collation, QualifiedName opclass,
                           List<String> opclassOptions, boolean descending, boolean nullsFirst) {
    }

    /**
     * A row-level security policy on a table.
     *
     * @param using     its USING expression (pg_get_expr), or null
     * @param withCheck its WITH CHECK expression, or null
     */
    public record Policy(String name, String using, String withCheck) {
    }

    /**
     * One privilege a role holds on a table or one of its columns ({@code aclexplode} of {@code relacl} and
     * {@code attacl}).
     *
     * @param grantee   the role, or {@code PUBLIC}
     * @param privilege SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER
     * @param column    the column, or null for the whole table
     */
    public record Privilege(String grantee, String privilege, String column, boolean grantable) {
    }

    /**
     * An enabled trigger of the user's (not Tandem's, not internal) on a table.
     *
     * @param beforeRow   whether it is a BEFORE ... FOR EACH ROW trigger, which can change the row being written
     * @param onDelete    whether it fires on DELETE; false where the reader does not tell (PostgreSQL's)
     * @param actionOrder where it fires among the triggers of its table, timing and event, from 1: MariaDB and MySQL
     *                    fire them in this order, which FOLLOWS / PRECEDES set ("CREATE TRIGGER" in the MariaDB
     *                    manual); 0 where the server orders them by name (PostgreSQL)
     * @param everyUpdatedRow whether it fires for every row any UPDATE writes, whatever columns the UPDATE sets (a
     *                    FOR EACH ROW trigger on UPDATE without PostgreSQL's {@code UPDATE OF} column list): so also
     *                    for every row the backfill fills. MariaDB's and MySQL's UPDATE triggers all do.
     */
    public record Trigger(String name, boolean beforeRow, boolean onInsert, boolean onUpdate, boolean onDelete,
                          int actionOrder, boolean everyUpdatedRow) {
        /** A trigger as MariaDB and MySQL have them: for each row, with no column list. */
        public Trigger(String name, boolean beforeRow, boolean onInsert, boolean onUpdate, boolean onDelete,
                       int actionOrder) {
            this(name, beforeRow, onInsert, onUpdate, onDelete, actionOrder, onUpdate);
        }

        public Trigger(String name, boolean beforeRow, boolean onInsert, boolean onUpdate) {
            this(name, beforeRow, onInsert, onUpdate, false, 0);
        }
    }

    /**
     * A view of the schema (read by the MariaDB reader; see the constructor without views for PostgreSQL).
     *
     * @param definition   its query as the server prints it
     * @param columns      its column names, in order
     * @param updatable    whether the server lets it take UPDATE and DELETE (information_schema IS_UPDATABLE)
     * @param checkOption  NONE, LOCAL or CASCADED
     * @param definer      the account whose privileges it runs with under SQL SECURITY DEFINER, as 'user'@'host'
     * @param securityType DEFINER or INVOKER
     */
    public record View(String name, String definition, List<String> columns, boolean updatable, String checkOption,
                       String definer, String securityType) {
        public View {
            columns = List.copyOf(columns);
        }
    }

    /** A table of any schema, as a name people read: {@code "schema"."table"} quoted as SQL would. */
    public record Relation(String schema, String table) {
        @Override
        public String toString() {
            return '"' + schema.replace("\"", "\"\"") + "\".\"" + table.replace("\"", "\"\"") + '"';
        }
    }

    /**
     * Table inheritance ({@code CREATE TABLE child () INHERITS (parent)}) from {@code pg_inherits}: the direct parents,
     * and every descendant (children, their children, ...). Partitions of a partitioned table are not listed here.
     */
    public record Inheritance(List<Relation> parents, List<Relation> descendants) {
        public static final Inheritance NONE = new Inheritance(List.of(), List.of());

        public Inheritance {
            parents = List.copyOf(parents);
            descendants = List.copyOf(descendants);
        }

        public boolean any() {
            return !parents.isEmpty() || !descendants.isEmpty();
        }
    }

    /**
     * What logical replication sees of a table.
     *
     * @param identity      {@code pg_class.relreplident}: d (primary key), n (nothing), f (full), i (an index)
     * @param identityIndex the index of identity i, or null
     */
    public record Replication(char identity, String identityIndex, List<Publication> publications) {
        public static final Replication NONE = new Replication('d', null, List.of());

        public Replication {
            publications = List.copyOf(publications);
        }
    }

    /**
     * A publication that publishes a table, or every table of the schema.
     *
     * @param scope         "FOR ALL TABLES", "FOR TABLES IN SCHEMA" or "FOR TABLE"
     * @param columnList    the columns of its column list (PostgreSQL 15+), or null when it publishes every column
     * @param rowFilter     its WHERE clause for the table (PostgreSQL 15+), or null
     * @param usesColumns   the columns its column list or row filter names (dropping one of them is refused by PostgreSQL)
     */
    public record Publication(String name, String scope, List<String> columnList, String rowFilter, List<String> usesColumns) {
        @Override
        public String toString() {
            return "publication \"" + name + "\" (" + scope + (columnList != null ? ", column list (" + String.join(", ", columnList) + ")" : "")
                    + (rowFilter != null ? ", row filter " + rowFilter : "") + ")";
        }
    }

    public Catalog {
        schemaPublications = List.copyOf(schemaPublications);
        views = List.copyOf(views);
        tables = new LinkedHashMap<>(tables);
        indexToTable = new LinkedHashMap<>(indexToTable);
        collatableTypes = java.util.Set.copyOf(collatableTypes);
    }

    public Optional<Table> table(String name) {
        return Optional.ofNullable(tables.get(name));
    }
}
