package dev.emend.world;

import dev.emend.world.World.Entity;
import dev.emend.world.World.Fact;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The questions {@code emend demo} asks a fact-world model: chosen deterministically from its world. */
public final class DemoQuestions {
    private DemoQuestions() {}

    /**
     * One question.
     *
     * @param label what it shows (e.g. "held-out template")
     * @param prompt the prompt
     * @param expected the true object
     * @param fact the fact asked
     */
    public record Question(String label, String prompt, String expected, Fact fact) {}

    /**
     * A country's capital, a person's birthplace in a trained template, in a held-out template and through an
     * alias, and a company's headquarters.
     *
     * @param world the world
     * @return the questions
     */
    public static List<Question> pick(World world) {
        Map<String, Relation> rel = world.relationsById();
        Map<String, Entity> ents = world.entitiesByName();
        List<Question> out = new ArrayList<>();
        Fact capital = first(world, "capital", null);
        out.add(trained("trained fact", capital, rel));
        Fact born = first(world, "birthplace", ents);
        out.add(trained("trained fact", born, rel));
        if (!born.heldOut().isEmpty()) {
            String template = rel.get(born.relation()).allTemplates().get(born.heldOut().get(0));
            out.add(new Question("held-out template", Relation.prompt(template, born.subject()), born.object(), born));
        }
        String alias = ents.get(born.subject()).aliases().get(0);
        String aliasTemplate = rel.get(born.relation()).templates().get(born.trained().get(0));
        out.add(new Question("alias", Relation.prompt(aliasTemplate, alias), born.object(), born));
        out.add(trained("trained fact", first(world, "headquarters", null), rel));
        return out;
    }

    /**
     * The demo's edit: a person's birthplace moved to another city, with the probes that show it took (the edited
     * prompt), generalised (a held-out paraphrase, the alias) and stayed local (an unrelated fact).
     *
     * @param prompt the edited prompt, e.g. "Mirela Grelser was born in"
     * @param subject the subject
     * @param newTarget the new object
     * @param probes the prompts asked before and after, labelled, each with the answer expected after the edit
     */
    public record DemoEdit(String prompt, String subject, String newTarget, List<Question> probes) {}

    /**
     * Picks the demo edit from the world.
     *
     * @param world the world
     * @return the edit and its probes
     */
    public static DemoEdit edit(World world) {
        Map<String, Relation> rel = world.relationsById();
        Map<String, Entity> ents = world.entitiesByName();
        Fact born = first(world, "birthplace", ents);
        String newCity = world.objectsOf("birthplace").stream().filter(c -> !c.equals(born.object())).findFirst()
                .orElseThrow(() -> new IllegalStateException("the world has a single birthplace city"));
        Relation r = rel.get(born.relation());
        String prompt = Relation.prompt(r.allTemplates().get(born.trained().get(0)), born.subject());
        List<Question> probes = new ArrayList<>();
        probes.add(new Question("edited prompt", prompt, newCity, born));
        if (!born.heldOut().isEmpty()) {
            probes.add(new Question("paraphrase", Relation.prompt(r.allTemplates().get(born.heldOut().get(0)),
                    born.subject()), newCity, born));
        }
        probes.add(new Question("alias", Relation.prompt(r.templates().get(born.trained().get(0)),
                ents.get(born.subject()).aliases().get(0)), newCity, born));
        Fact capital = first(world, "capital", null);
        probes.add(new Question("unrelated fact", Relation.prompt(rel.get("capital").allTemplates()
                .get(capital.trained().get(0)), capital.subject()), capital.object(), capital));
        return new DemoEdit(prompt, born.subject(), newCity, probes);
    }

    private static Question trained(String label, Fact f, Map<String, Relation> rel) {
        String template = rel.get(f.relation()).allTemplates().get(f.trained().get(0));
        return new Question(label, Relation.prompt(template, f.subject()), f.object(), f);
    }

    /** The first fact of a relation (whose subject has an alias, when {@code ents} is given). */
    private static Fact first(World world, String relation, Map<String, Entity> ents) {
        for (Fact f : world.facts()) {
            if (f.relation().equals(relation) && !f.trained().isEmpty()
                    && (ents == null || !ents.get(f.subject()).aliases().isEmpty())) {
                return f;
            }
        }
        throw new IllegalStateException("the world has no " + relation + " fact to show");
    }
}
