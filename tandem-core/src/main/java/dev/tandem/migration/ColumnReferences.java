package dev.tandem.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renames the references to columns in the text of an SQL expression as PostgreSQL prints it back
 * ({@code pg_get_expr}, {@code pg_get_indexdef}, {@code pg_get_constraintdef}): what carries an index, a check or a
 * policy from a column to the shadow column that replaces it.
 *
 * <p>A scan of tokens, not a parse, on {@link SqlExpressionText}'s lexical rules: string literals (plain, {@code E''},
 * {@code B''}, {@code X''}, dollar-quoted), comments and {@code U&"..."} names are copied as they are. A name is a
 * column reference when it is the column's name (a bare name folded to lower case, a quoted one exactly) and it is
 * none of: a function's name (followed by {@code (}), a qualifier (followed by {@code .}), a field of a composite
 * value or a qualified name's last part (after {@code .}, unless the qualifier is one of {@code qualifiers}, such as a
 * trigger's {@code NEW} and {@code OLD}), a type name (after {@code ::} or a {@code CAST}'s {@code AS}, including
 * the words of {@code timestamp with time zone} and the like), a collation (after {@code COLLATE}) or a named
 * argument (before {@code =>}).
 *
 * <p>With {@link Syntax#MARIADB} the text is read by MariaDB's lexical rules instead: {@code `name`} is a quoted name,
 * {@code '...'} and {@code "..."} are strings with backslash escapes, {@code #} and {@code -- } start comments,
 * {@code @var} and {@code @@var} are variables, never columns, and names match without case, quoted or not (MariaDB's
 * column names are case-insensitive: "Identifier Case-sensitivity" in its manual).
 *
 * <p>Expressions whose meaning this cannot tell from tokens (a sub-select, where an unqualified name may be another
 * table's column) are the caller's to refuse; {@link #hasSubquery} says when.
 */
public final class ColumnReferences {
    private ColumnReferences() {
    }

    /** Whose lexical rules the text follows. */
    public enum Syntax { POSTGRESQL, MARIADB }

    /** The rewritten text, and how many references were renamed. */
    public record Rewritten(String text, int renamed) {
    }

    /** Words that continue a type name after its first word ({@code character varying}, {@code double precision}). */
    private static final Set<String> TYPE_WORDS = Set.of("varying", "precision", "with", "without", "time", "zone");

    private enum Kind { NAME, PUNCT, OTHER }

    /** A significant token: its kind, its text as written, and for names the name it stands for. */
    private record Token(Kind kind, String text, String name, boolean quoted) {
        boolean isPunct(String p) {
            return kind == Kind.PUNCT && text.equals(p);
        }

        boolean isWord(String w) {
            return kind == Kind.NAME && !quoted && name.equals(w);
        }
    }

    /**
     * {@code text} with every reference to a column of {@code renames} (column name → the SQL text that replaces it,
     * already quoted) replaced.
     *
     * @param qualifiers lower-case row names whose {@code .column} is a reference too (a trigger's "new", "old"), or empty
     */
    public static Rewritten rename(String text, Map<String, String> renames, Set<String> qualifiers) {
        return rename(text, renames, qualifiers, Syntax.POSTGRESQL);
    }

    /**
     * {@link #rename(String, Map, Set)} for text of {@code syntax}; with {@link Syntax#MARIADB} the keys of
     * {@code renames} and the {@code qualifiers} match names of any case.
     */
    public static Rewritten rename(String text, Map<String, String> renames, Set<String> qualifiers, Syntax syntax) {
        List<Object> pieces = new ArrayList<>(); // String (copied as is) or Token
        List<Token> tokens = new ArrayList<>();
        if (syntax == Syntax.MARIADB) {
            scanMariaDb(text, pieces, tokens);
            Map<String, String> folded = new java.util.HashMap<>();
            renames.forEach((k, v) -> folded.putIfAbsent(foldAll(k), v));
            renames = folded;
            qualifiers = qualifiers.stream().map(ColumnReferences::foldAll).collect(java.util.stream.Collectors.toSet());
        } else {
            scan(text, pieces, tokens);
        }
        StringBuilder out = new StringBuilder();
        int renamed = 0;
        int t = 0;
        // Inside a type name: after its first word, through its modifiers' parentheses ("numeric(10, 2)").
        boolean inTypeName = false;
        int modifierDepth = 0;
        for (Object piece : pieces) {
            if (piece instanceof String s) {
                out.append(s);
                continue;
            }
            Token token = (Token) piece;
            Token before = t > 0 ? tokens.get(t - 1) : null;
            Token twoBefore = t > 1 ? tokens.get(t - 2) : null;
            Token after = t + 1 < tokens.size() ? tokens.get(t + 1) : null;
            t++;
            if (modifierDepth > 0) {
                if (token.isPunct("(")) modifierDepth++;
                if (token.isPunct(")")) modifierDepth--;
                out.append(token.text);
                continue;
            }
            if (token.kind != Kind.NAME) {
                if (inTypeName && token.isPunct("(")) modifierDepth = 1;
                else if (!(inTypeName && (token.isPunct(".") || token.isPunct("[") || token.isPunct("]")))) inTypeName = false;
                out.append(token.text);
                continue;
            }
            boolean typeName = before != null && (before.isPunct("::") || before.isWord("as"))
                    || inTypeName && (before.isPunct(".") || !token.quoted && TYPE_WORDS.contains(token.name));
            inTypeName = typeName;
            String replacement = renames.get(token.name);
            boolean reference = replacement != null && !typeName
                    && !(before != null && before.isWord("collate"))
                    && !(after != null && (after.isPunct("(") || after.isPunct(".") || after.isPunct("=>")));
            if (reference && before != null && before.isPunct(".")) {
                reference = twoBefore != null && twoBefore.kind == Kind.NAME && !twoBefore.quoted
                        && qualifiers.contains(twoBefore.name) && !(t > 3 && tokens.get(t - 4).isPunct("."));
            }
            if (reference) {
                out.append(replacement);
                renamed++;
            } else {
                out.append(token.text);
            }
        }
        return new Rewritten(out.toString(), renamed);
    }

    /** Whether {@code text} holds a sub-select, where a bare name may belong to another table. */
    public static boolean hasSubquery(String text) {
        List<Object> pieces = new ArrayList<>();
        List<Token> tokens = new ArrayList<>();
        scan(text, pieces, tokens);
        return tokens.stream().anyMatch(k -> k.isWord("select"));
    }

    /** Whether {@code text} refers to {@code column} (as {@link #rename} would see it). */
    public static boolean mentions(String text, String column) {
        return rename(text, Map.of(column, column), Set.of()).renamed() > 0;
    }

    /** Whether {@code text}, of {@code syntax}, refers to {@code column}. */
    public static boolean mentions(String text, String column, Syntax syntax) {
        return rename(text, Map.of(column, column), Set.of(), syntax).renamed() > 0;
    }

    /** Splits {@code text} into copied pieces (space, comments, literals) and significant tokens. */
    private static void scan(String text, List<Object> pieces, List<Token> tokens) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            char ch = text.charAt(i);
            int end;
            if (Character.isWhitespace(ch)) {
                end = space(text, i, pieces);
            } else if (ch == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                pieces.add(text.substring(i, end));
            } else if (ch == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                end = SqlExpressionText.endOfBlockComment(text, i);
                end = end < 0 ? n : end;
                pieces.add(text.substring(i, end));
            } else if (ch == '\'') {
                end = SqlExpressionText.endOfString(text, i, SqlExpressionText.escapesAllowed(text, i));
                end = end < 0 ? n : end;
                add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
            } else if (ch == '$' && (i == 0 || !SqlExpressionText.isIdentifierPart(text.charAt(i - 1)))
                    && SqlExpressionText.dollarTag(text, i) != null) {
                String tag = SqlExpressionText.dollarTag(text, i);
                end = text.indexOf(tag, i + tag.length());
                end = end < 0 ? n : end + tag.length();
                add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
            } else if (ch == '"') {
                end = endOfQuotedName(text, i);
                add(pieces, tokens, new Token(Kind.NAME, text.substring(i, end),
                        text.substring(i + 1, Math.max(i + 1, end - 1)).replace("\"\"", "\""), true));
            } else if ((ch == 'u' || ch == 'U') && i + 2 < n && text.charAt(i + 1) == '&'
                    && (text.charAt(i + 2) == '"' || text.charAt(i + 2) == '\'')) {
                // U&"..." and U&'...': Unicode escapes, never one of the plain names renamed here.
                end = text.charAt(i + 2) == '"' ? endOfQuotedName(text, i + 2)
                        : SqlExpressionText.endOfString(text, i + 2, false);
                end = end < 0 ? n : end;
                add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
            } else if (Character.isLetter(ch) || ch == '_' || ch > 127) {
                // E'...', B'...', X'...', N'...': a prefix of the string that follows, not a name.
                end = word(text, i, "'", ColumnReferences::foldCase, pieces, tokens);
            } else if (Character.isDigit(ch)) {
                end = number(text, i, pieces, tokens);
            } else if (ch == ':' && i + 1 < n && text.charAt(i + 1) == ':') {
                end = i + 2;
                add(pieces, tokens, new Token(Kind.PUNCT, "::", null, false));
            } else if (ch == '=' && i + 1 < n && text.charAt(i + 1) == '>') {
                end = i + 2;
                add(pieces, tokens, new Token(Kind.PUNCT, "=>", null, false));
            } else {
                end = i + 1;
                add(pieces, tokens, new Token(Kind.PUNCT, String.valueOf(ch), null, false));
            }
            i = end;
        }
    }

    /** {@link #scan} by MariaDB's lexical rules ("Identifier Names", "String Literals", "Comment Syntax" in its manual). */
    private static void scanMariaDb(String text, List<Object> pieces, List<Token> tokens) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            char ch = text.charAt(i);
            int end;
            if (Character.isWhitespace(ch)) {
                end = space(text, i, pieces);
            } else if (ch == '#' || ch == '-' && text.startsWith("--", i) && (i + 2 == n || text.charAt(i + 2) <= ' ')) {
                end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                pieces.add(text.substring(i, end));
            } else if (ch == '/' && text.startsWith("/*", i)) {
                // Not nested in MariaDB; an executable comment (/*! ... */) is copied as it is, unrenamed.
                end = text.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                pieces.add(text.substring(i, end));
            } else if (ch == '\'' || ch == '"') {
                end = endOfMariaDbString(text, i);
                add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
            } else if (ch == '`') {
                end = text.indexOf('`', i + 1);
                while (end >= 0 && end + 1 < n && text.charAt(end + 1) == '`') end = text.indexOf('`', end + 2);
                end = end < 0 ? n : end + 1;
                String name = text.substring(i + 1, Math.max(i + 1, end - 1)).replace("``", "`");
                add(pieces, tokens, new Token(Kind.NAME, text.substring(i, end), foldAll(name), true));
            } else if (ch == '@') {
                // @user_variable, @@system_variable, @'quoted', @`quoted`: never a column.
                end = i + 1;
                if (end < n && text.charAt(end) == '@') end++;
                if (end < n && (text.charAt(end) == '\'' || text.charAt(end) == '"')) {
                    end = endOfMariaDbString(text, end);
                } else if (end < n && text.charAt(end) == '`') {
                    int close = text.indexOf('`', end + 1);
                    end = close < 0 ? n : close + 1;
                } else {
                    while (end < n && (SqlExpressionText.isIdentifierPart(text.charAt(end)) || text.charAt(end) == '.')) end++;
                }
                add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
            } else if (Character.isLetter(ch) || ch == '_' || ch == '$' || ch > 127) {
                // _utf8mb4'...', N'...', X'...', B'...': a prefix of the string that follows, not a name.
                end = word(text, i, "'\"", ColumnReferences::foldAll, pieces, tokens);
            } else if (Character.isDigit(ch)) {
                end = number(text, i, pieces, tokens);
            } else {
                end = i + 1;
                add(pieces, tokens, new Token(Kind.PUNCT, String.valueOf(ch), null, false));
            }
            i = end;
        }
    }

    /** Just past the '...' or "..." string at {@code start}: the quote doubled or a backslash escape inside. */
    private static int endOfMariaDbString(String text, int start) {
        int end = SqlExpressionText.endOfString(text, start, true);
        return end < 0 ? text.length() : end;
    }

    /** MariaDB's column names match without case, quoted or not. */
    private static String foldAll(String name) {
        return name.toLowerCase(java.util.Locale.ROOT);
    }

    /** The white space starting at {@code i}, copied; where it ends. */
    private static int space(String text, int i, List<Object> pieces) {
        int end = i + 1;
        while (end < text.length() && Character.isWhitespace(text.charAt(end))) end++;
        pieces.add(text.substring(i, end));
        return end;
    }

    /**
     * The name starting at {@code i}, or, when one of {@code quotes} follows it at once, the prefix of that string;
     * where it ends.
     */
    private static int word(String text, int i, String quotes, java.util.function.UnaryOperator<String> fold,
                            List<Object> pieces, List<Token> tokens) {
        int end = i + 1;
        while (end < text.length() && SqlExpressionText.isIdentifierPart(text.charAt(end))) end++;
        String word = text.substring(i, end);
        if (end < text.length() && quotes.indexOf(text.charAt(end)) >= 0) {
            add(pieces, tokens, new Token(Kind.OTHER, word, null, false));
        } else {
            add(pieces, tokens, new Token(Kind.NAME, word, fold.apply(word), false));
        }
        return end;
    }

    /** The number starting at {@code i} (1, 1.5, 1e-5, 0x1F); where it ends. */
    private static int number(String text, int i, List<Object> pieces, List<Token> tokens) {
        int n = text.length();
        int end = i + 1;
        while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '.'
                || text.charAt(end) == '_' || (text.charAt(end) == '-' || text.charAt(end) == '+')
                && (text.charAt(end - 1) == 'e' || text.charAt(end - 1) == 'E'))) end++;
        add(pieces, tokens, new Token(Kind.OTHER, text.substring(i, end), null, false));
        return end;
    }

    private static void add(List<Object> pieces, List<Token> tokens, Token token) {
        pieces.add(token);
        tokens.add(token);
    }

    private static int endOfQuotedName(String text, int start) {
        int end = text.indexOf('"', start + 1);
        while (end >= 0 && end + 1 < text.length() && text.charAt(end + 1) == '"') end = text.indexOf('"', end + 2);
        return end < 0 ? text.length() : end + 1;
    }

    /** PostgreSQL folds unquoted names to lower case, ASCII letters only. */
    private static String foldCase(String word) {
        StringBuilder sb = new StringBuilder(word.length());
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            sb.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return sb.toString();
    }
}
