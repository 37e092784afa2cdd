package dev.tandem.dialect.mariadb;

import dev.tandem.migration.SqlExpressionText;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The names in a piece of MariaDB SQL (a view's definition, a trigger's or a routine's body), each with the qualifiers
 * written before it: {@code `db`.`t`.`a`} is one path of three parts, {@code NEW.a} one of two. Strings, numbers and
 * comments are skipped by MariaDB's lexical rules, as the object's stored sql_mode has them (backslash escapes unless
 * {@code NO_BACKSLASH_ESCAPES}, {@code "} a name under {@code ANSI_QUOTES}).
 *
 * <p>A scan of text, not a resolution of names: what it finds is what the text names, which is how MariaDB itself
 * keeps these objects (it records no dependencies between them). The callers say so where they report what it found.
 */
final class MariaDbNamePaths {
    /**
     * A name and its qualifiers, as written (backticks removed).
     *
     * @param quoted whether its last part was quoted (MariaDB prints every name of a view's definition quoted, and its
     *               keywords not)
     * @param call   whether a {@code (} follows it, as a function's or procedure's name
     * @param start  where it starts in the text
     * @param end    where it ends in the text
     */
    record Path(List<String> parts, boolean quoted, boolean call, int start, int end) {
        String last() {
            return parts.get(parts.size() - 1);
        }

        boolean is(String... names) {
            return parts.equals(List.of(names));
        }
    }

    private MariaDbNamePaths() {
    }

    /** The names of {@code sql}, in order, read as an object stored with {@code sqlMode} reads it (null: the default). */
    static List<Path> of(String sql, String sqlMode) {
        String mode = sqlMode == null ? "" : sqlMode.toUpperCase(Locale.ROOT);
        boolean backslashEscapes = !mode.contains("NO_BACKSLASH_ESCAPES");
        boolean ansiQuotes = mode.contains("ANSI_QUOTES");
        List<Path> paths = new ArrayList<>();
        if (sql == null) return paths;
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char ch = sql.charAt(i);
            if (ch == '\'' || ch == '"' && !ansiQuotes) {
                int end = SqlExpressionText.endOfString(sql, i, backslashEscapes);
                i = end < 0 ? n : end;
            } else if (MariaDbExpressionText.startsLineComment(sql, i)) {
                int nl = sql.indexOf('\n', i);
                i = nl < 0 ? n : nl + 1;
            } else if (ch == '/' && sql.startsWith("/*", i) && !sql.startsWith("/*!", i) && !sql.startsWith("/*M!", i)) {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (ch == '@') {
                // @variable, @@system_variable, @'quoted': never a name of a table or column.
                i++;
                while (i < n && (isNamePart(sql.charAt(i)) || sql.charAt(i) == '@' || sql.charAt(i) == '.')) i++;
            } else if (Character.isDigit(ch)) {
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '.')) i++;
            } else if (ch == '`' || ch == '"' || isNamePart(ch)) {
                i = path(sql, i, ansiQuotes, paths);
            } else {
                i++;
            }
        }
        return paths;
    }

    /** Reads the path starting at {@code i} into {@code paths}; where it ends. */
    private static int path(String sql, int i, boolean ansiQuotes, List<Path> paths) {
        int n = sql.length();
        int start = i;
        List<String> parts = new ArrayList<>();
        boolean quoted;
        while (true) {
            char ch = sql.charAt(i);
            int end;
            if (ch == '`' || ch == '"') {
                end = ch == '`' ? MariaDbExpressionText.endOfQuotedName(sql, i) : SqlExpressionText.endOfString(sql, i, false);
                if (end < 0) end = n;
                parts.add(sql.substring(i + 1, Math.max(i + 1, end - 1)).replace(String.valueOf(ch).repeat(2), String.valueOf(ch)));
                quoted = true;
            } else {
                end = i;
                while (end < n && isNamePart(sql.charAt(end))) end++;
                parts.add(sql.substring(i, end));
                quoted = false;
            }
            int next = skipSpace(sql, end);
            if (next < n && sql.charAt(next) == '.') {
                int after = skipSpace(sql, next + 1);
                if (after < n && (sql.charAt(after) == '`' || sql.charAt(after) == '"' && ansiQuotes
                        || isNamePart(sql.charAt(after)) && !Character.isDigit(sql.charAt(after)))) {
                    i = after;
                    continue;
                }
            }
            paths.add(new Path(List.copyOf(parts), quoted, next < n && sql.charAt(next) == '(', start, end));
            return end;
        }
    }

    private static int skipSpace(String sql, int i) {
        while (i < sql.length() && Character.isWhitespace(sql.charAt(i))) i++;
        return i;
    }

    private static boolean isNamePart(char ch) {
        return Character.isLetterOrDigit(ch) || ch == '_' || ch == '$' || ch > 127;
    }
}
