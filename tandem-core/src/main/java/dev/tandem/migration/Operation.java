package dev.tandem.migration;

/**
 * One step of a migration as written in the file. Each kind has its own record; the engine gives each
 * a planner class that answers the same questions (validate, expand, backfill, contract, rollback).
 */
public sealed interface Operation permits Operation.CreateTable, Operation.AddColumn, Operation.DropColumn,
        Operation.RenameColumn, Operation.AlterColumn, Operation.RenameTable, Operation.DropTable,
        Operation.CreateIndex, Operation.DropIndex, Operation.AddConstraint, Operation.DropConstraint,
        Operation.RawSql {

    /** The key this operation has in a migration file, e.g. {@code add_column}. */
    String kind();

    SourceLocation location();

    record CreateTable(String table, java.util.List<ColumnDef> columns, SourceLocation location) implements Operation {
        public String kind() { return "create_table"; }
    }

    /** @param up expression over the old version's row that fills the column for rows the old version writes or wrote */
    record AddColumn(String table, ColumnDef column, String up, SourceLocation location) implements Operation {
        public String kind() { return "add_column"; }
    }

    /** @param down expression over the new version's row that fills the dropped column for rows the new version inserts */
    record DropColumn(String table, String column, String down, SourceLocation location) implements Operation {
        public String kind() { return "drop_column"; }
    }

    record RenameColumn(String table, String from, String to, SourceLocation location) implements Operation {
        public String kind() { return "rename_column"; }
    }

    /**
     * Changes any of type, nullability, default, uniqueness, check or reference of one column. Fields left null
     * keep what the column has. {@code defaultChanged} tells "set default to null (drop it)" from "unchanged".
     */
    record AlterColumn(String table, String column, String type, Boolean nullable, boolean defaultChanged,
                       String defaultExpr, Boolean unique, String check, ForeignKey references, String up,
                       String down, SourceLocation location) implements Operation {
        public String kind() { return "alter_column"; }
    }

    record RenameTable(String from, String to, SourceLocation location) implements Operation {
        public String kind() { return "rename_table"; }
    }

    record DropTable(String table, SourceLocation location) implements Operation {
        public String kind() { return "drop_table"; }
    }

    /** @param method index access method (btree, hash, gin, gist, brin), default btree */
    record CreateIndex(String name, String table, java.util.List<String> columns, boolean unique, String method,
                       SourceLocation location) implements Operation {
        public String kind() { return "create_index"; }
    }

    record DropIndex(String name, SourceLocation location) implements Operation {
        public String kind() { return "drop_index"; }
    }

    /** Exactly one of check, unique or foreignKey is set. */
    record AddConstraint(String table, String name, String check, java.util.List<String> unique,
                         ForeignKeyConstraint foreignKey, SourceLocation location) implements Operation {
        public String kind() { return "add_constraint"; }
    }

    record ForeignKeyConstraint(java.util.List<String> columns, String referencesTable,
                                java.util.List<String> referencesColumns, String onDelete) {
        public ForeignKeyConstraint {
            onDelete = onDelete == null ? "NO ACTION" : onDelete.toUpperCase(java.util.Locale.ROOT);
        }
    }

    record DropConstraint(String table, String name, SourceLocation location) implements Operation {
        public String kind() { return "drop_constraint"; }
    }

    /** Free SQL: {@code up} runs at expand, {@code down} at rollback. Tandem cannot make it lock-safe (there is no linter). */
    record RawSql(String up, String down, SourceLocation location) implements Operation {
        public String kind() { return "sql"; }
    }
}
