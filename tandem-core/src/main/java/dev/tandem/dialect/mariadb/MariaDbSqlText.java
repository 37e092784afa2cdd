package dev.tandem.dialect.mariadb;

import java.util.ArrayList;
import java.util.List;

/** MariaDB's SQL text: quoting names and strings, and finding the quoted names in what the server prints. */
public final class MariaDbSqlText {
    private MariaDbSqlText() {
    }

    /**
     * {@code identifier} between backticks, a backtick in it doubled ("Identifier Names" in the MariaDB manual), so
     * that any name is taken as a name whatever sql_mode says about double quotes.
     *
     * @throws IllegalArgumentException when it is empty or holds a NUL character, which MariaDB never accepts in a name
     */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty() || identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a MariaDB identifier: " + (identifier == null ? "null" : "\"" + identifier + "\""));
        }
        return '`' + identifier.replace("`", "``") + '`';
    }

    /** A string literal, the quote and the backslash escaped ("String Literals" in the MariaDB manual). */
    public static String literal(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /**
     * The backtick-quoted identifiers of {@code sql}, unquoted, in order of appearance, skipping string literals.
     * MariaDB prints every identifier of a stored expression quoted (information_schema.CHECK_CONSTRAINTS, a
     * column's DEFAULT and GENERATION_EXPRESSION), so this finds the columns such an expression names.
     */
    public static List<String> quotedIn(String sql) {
        List<String> names = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char ch = sql.charAt(i);
            if (ch == '\'' || ch == '"') {
                i = afterString(sql, i);
            } else if (ch == '`') {
                StringBuilder name = new StringBuilder();
                for (i++; i < sql.length(); i++) {
                    char c = sql.charAt(i);
                    if (c == '`' && i + 1 < sql.length() && sql.charAt(i + 1) == '`') {
                        name.append('`');
                        i++;
                    } else if (c == '`') {
                        i++;
                        break;
                    } else {
                        name.append(c);
                    }
                }
                names.add(name.toString());
            } else {
                i++;
            }
        }
        return names;
    }

    /** The index after the string literal that opens at {@code start} ('' doubled quotes and backslash escapes). */
    private static int afterString(String sql, int start) {
        int end = dev.tandem.migration.SqlExpressionText.endOfString(sql, start, true);
        return end < 0 ? sql.length() : end;
    }
}
