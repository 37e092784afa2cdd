package dev.tandem.engine.lifecycle;

import dev.tandem.dialect.Dialect;
import dev.tandem.engine.PlanContext;
import dev.tandem.migration.MigrationException;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tries the migration file's SQL expressions and the indexes the plan builds on the live database, inside the
 * planning transaction, so that a mistake is reported at its place in the file before anything is changed.
 */
final class PlanChecks {
    private final Dialect dialect;
    private final String schema;

    PlanChecks(Dialect dialect, String schema) {
        this.dialect = dialect;
        this.schema = schema;
    }

    /**
     * Checks the file's SQL expressions, each on its own (a failed one leaves the transaction usable for the next).
     * Each type is checked once, where it first appears; an expression over a type that does not exist is not checked,
     * so one wrong type is one problem, not one per expression that reads the column.
     *
     * @throws MigrationException listing every expression, type and index that is not valid
     */
    void run(Connection c, List<PlanContext.ExpressionCheck> checks, List<PlanContext.IndexCheck> indexChecks)
            throws SQLException {
        List<MigrationException.Problem> problems = new ArrayList<>();
        Map<String, Boolean> typeExists = new HashMap<>();
        for (PlanContext.ExpressionCheck check : checks) {
            List<String> types = new ArrayList<>(check.rowTypes().values());
            if (check.targetType() != null) types.add(0, check.targetType());
            boolean typesOk = true;
            for (String type : types) {
                if (!typeExists.containsKey(type)) {
                    Savepoint sp = c.setSavepoint();
                    try {
                        dialect.checkType(c, type);
                        c.releaseSavepoint(sp);
                        typeExists.put(type, true);
                    } catch (SQLException e) {
                        c.rollback(sp);
                        typeExists.put(type, false);
                        problems.add(new MigrationException.Problem(check.location(), check.what() + ": type " + type
                                + " is not valid: " + firstLine(dialect.describeError(e))));
                    }
                }
                typesOk &= typeExists.get(type);
            }
            if (!typesOk) continue;
            Savepoint sp = c.setSavepoint();
            try {
                dialect.checkExpression(c, check.expression(), check.rowTypes(), check.targetType());
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                problems.add(new MigrationException.Problem(check.location(), check.what() + " `" + check.expression()
                        + "` is not valid" + (check.targetType() != null ? " for type " + check.targetType() : "")
                        + ": " + firstLine(dialect.describeError(e))));
            }
        }
        // Only once every expression is known to be good: an index over a bad one would only say so again.
        if (problems.isEmpty()) {
            for (PlanContext.IndexCheck check : indexChecks) {
                Savepoint sp = c.setSavepoint();
                try {
                    dialect.checkIndex(c, schema, check.table(), check.addedColumns(), check.shape(), check.unique());
                    c.releaseSavepoint(sp);
                } catch (SQLException e) {
                    c.rollback(sp);
                    problems.add(new MigrationException.Problem(check.location(), check.what() + ": "
                            + firstLine(dialect.describeError(e)) + "; " + check.todo()));
                }
            }
        }
        if (!problems.isEmpty()) throw new MigrationException(problems);
    }

    private static String firstLine(String message) {
        if (message == null) return "unknown error";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
