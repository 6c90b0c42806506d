package dev.emend.world;

import java.util.List;

/**
 * A relation of the fact world with its paraphrase templates. Templates hold {@code {s}} (subject) before
 * {@code {o}} (object); the text before {@code {o}} is the relation's prompt for that subject.
 *
 * @param id relation id, e.g. "birthplace"
 * @param subjectType kind of subject
 * @param objectType kind of object
 * @param templates 4-6 declarative paraphrases
 * @param question the question form, e.g. "Where was {s} born? {o}."
 */
public record Relation(String id, Kind subjectType, Kind objectType, List<String> templates, String question) {
    /** Entity and value kinds. */
    public enum Kind { COUNTRY, CITY, PERSON, COMPANY, PRODUCT, LANGUAGE, CURRENCY, CONTINENT, OCCUPATION, INDUSTRY, CATEGORY }

    /** Checks the templates. */
    public Relation {
        templates = List.copyOf(templates);
        for (String t : templates) {
            check(id, t);
        }
        check(id, question);
    }

    private static void check(String id, String t) {
        int s = t.indexOf("{s}");
        int o = t.indexOf("{o}");
        if (s < 0 || o < 0 || o < s) {
            throw new IllegalArgumentException("template of %s must hold {s} before {o}: %s".formatted(id, t));
        }
    }

    /** @return every template, declaratives first, then the question (index {@code templates().size()}) */
    public List<String> allTemplates() {
        List<String> all = new java.util.ArrayList<>(templates);
        all.add(question);
        return all;
    }

    /**
     * Renders a full sentence.
     *
     * @param template a template
     * @param subject subject text
     * @param object object text
     * @return the sentence
     */
    public static String render(String template, String subject, String object) {
        return template.replace("{s}", subject).replace("{o}", object);
    }

    /**
     * The prompt of a template: the text before the object, without trailing space.
     *
     * @param template a template
     * @param subject subject text
     * @return e.g. "The birthplace of Mirela Dansk is"
     */
    public static String prompt(String template, String subject) {
        return template.substring(0, template.indexOf("{o}")).replace("{s}", subject).stripTrailing();
    }

    /**
     * Prompts that do not determine their object: for a subject kind, a template whose prompt equals another
     * relation's prompt, or is a word-prefix of another template's text before its object (so the next word could
     * be that template's literal word instead of the object; "X was born in" vs "X was born in the city of").
     * Such probes would measure the template mix, not knowledge.
     *
     * @param relations all relations of a world
     * @param extra other sentence templates with {@code {s}} (e.g. alias introductions), never probed
     * @return one line per ambiguous pair (empty when every prompt is unambiguous)
     */
    public static List<String> ambiguousPrompts(List<Relation> relations, List<String> extra) {
        List<String> problems = new java.util.ArrayList<>();
        for (Relation a : relations) {
            for (String ta : a.allTemplates()) {
                String pa = prompt(ta, "{s}");
                for (Relation b : relations) {
                    if (b.subjectType != a.subjectType) {
                        continue;
                    }
                    for (String tb : b.allTemplates()) {
                        String pb = prompt(tb, "{s}");
                        if (tb.equals(ta)) {
                            continue;
                        }
                        if (pb.equals(pa) && !b.id.equals(a.id)) {
                            problems.add("'%s' (%s) and '%s' (%s) share a prompt".formatted(ta, a.id, tb, b.id));
                        } else if (pb.startsWith(pa + " ")) {
                            problems.add("'%s' (%s) is a prefix of '%s' (%s)".formatted(ta, a.id, tb, b.id));
                        }
                    }
                }
                for (String e : extra) {
                    if (e.startsWith(pa + " ")) {
                        problems.add("'%s' (%s) is a prefix of '%s'".formatted(ta, a.id, e));
                    }
                }
            }
        }
        return problems;
    }
}
