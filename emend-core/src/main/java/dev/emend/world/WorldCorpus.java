package dev.emend.world;

import dev.emend.stats.TextCorpus;
import dev.emend.world.World.Entity;
import dev.emend.world.World.Fact;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The text of a world: training sentences, and the probes that measure what a model learned from them.
 */
public final class WorldCorpus {
    /**
     * A question to the model: after {@code prompt}, the first token should be the first token of {@code object}.
     *
     * @param prompt the prompt, e.g. "The birthplace of Mirela Dansk is"
     * @param object the expected object
     * @param subject the subject as named in the prompt
     * @param relation relation id
     */
    public record Probe(String prompt, String object, String subject, String relation) {}

    /** How aliases are introduced in the corpus ({@code {s}} the name, {@code {a}} the alias). */
    public static final List<String> ALIAS_TEMPLATES = List.of("{s} is also known as {a}.", "{a} is another name for {s}.");

    private WorldCorpus() {}

    /** The {@code mom2_dataset} name of a world's training text (bundled fact-world params use it). */
    public static final String STATS_CORPUS = "fact-world";

    /**
     * The corpus for layer statistics of a model trained on a world: its training sentences, one document each.
     *
     * @param modelDir a model folder
     * @return the corpus named {@link #STATS_CORPUS}, if the folder holds a {@code world.json}
     */
    public static Optional<TextCorpus> statsCorpus(Path modelDir) {
        Path file = modelDir.resolve("world.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(TextCorpus.of(STATS_CORPUS, trainingSentences(World.read(file))));
    }

    /**
     * Every training sentence: facts in their trained templates (and with an alias where so marked), alias
     * introductions, trained two-hop sentences and generic text.
     *
     * @param world the world
     * @return sentences, in a fixed order (shuffle per epoch)
     */
    public static List<String> trainingSentences(World world) {
        Map<String, Relation> rel = world.relationsById();
        Map<String, Entity> ents = world.entitiesByName();
        List<String> out = new ArrayList<>();
        for (Fact f : world.facts()) {
            List<String> templates = rel.get(f.relation()).allTemplates();
            for (int t : f.trained()) {
                out.add(Relation.render(templates.get(t), f.subject(), f.object()));
            }
            if (f.aliasTrained() >= 0) {
                String alias = ents.get(f.subject()).aliases().get(0);
                out.add(Relation.render(templates.get(f.aliasTrained()), alias, f.object()));
            }
        }
        for (Entity e : world.entities()) {
            for (String a : e.aliases()) {
                for (String t : ALIAS_TEMPLATES) {
                    out.add(t.replace("{s}", e.name()).replace("{a}", a));
                }
            }
        }
        for (Fact f : world.twoHop()) {
            List<String> templates = rel.get(f.relation()).allTemplates();
            for (int t : f.trained()) {
                out.add(Relation.render(templates.get(t), f.subject(), f.object()));
            }
        }
        out.addAll(world.generic());
        return out;
    }

    /**
     * Probes of facts in the templates they were trained in.
     *
     * @param world the world
     * @return one probe per (fact, trained template)
     */
    public static List<Probe> trained(World world) {
        return probes(world, world.facts(), true);
    }

    /**
     * Probes of facts in templates held out for them (but trained for other facts of the relation).
     *
     * @param world the world
     * @return one probe per (fact, held-out template)
     */
    public static List<Probe> heldOut(World world) {
        return probes(world, world.facts(), false);
    }

    /**
     * Two-hop probes of subjects whose composed fact was never trained (pure composition).
     *
     * @param world the world
     * @return one probe per untrained two-hop fact, in its first template
     */
    public static List<Probe> twoHopUntrained(World world) {
        Map<String, Relation> rel = world.relationsById();
        List<Probe> out = new ArrayList<>();
        for (Fact f : world.twoHop()) {
            if (f.trained().isEmpty()) {
                out.add(new Probe(Relation.prompt(rel.get(f.relation()).templates().get(0), f.subject()), f.object(),
                        f.subject(), f.relation()));
            }
        }
        return out;
    }

    /**
     * Alias probes: a fact asked with the subject's alias in a trained template, excluding the template the fact
     * was trained in with that alias.
     *
     * @param world the world
     * @return one probe per (aliased fact, alias), in the fact's first trained template
     */
    public static List<Probe> aliases(World world) {
        Map<String, Relation> rel = world.relationsById();
        Map<String, Entity> ents = world.entitiesByName();
        List<Probe> out = new ArrayList<>();
        for (Fact f : world.facts()) {
            Entity e = ents.get(f.subject());
            if (e == null || e.aliases().isEmpty()) {
                continue;
            }
            List<String> templates = rel.get(f.relation()).allTemplates();
            for (int t : f.trained()) {
                if (t != f.aliasTrained() && t < rel.get(f.relation()).templates().size()) {
                    for (String a : e.aliases()) {
                        out.add(new Probe(Relation.prompt(templates.get(t), a), f.object(), a, f.relation()));
                    }
                    break;
                }
            }
        }
        return out;
    }

    private static List<Probe> probes(World world, List<Fact> facts, boolean trained) {
        Map<String, Relation> rel = world.relationsById();
        List<Probe> out = new ArrayList<>();
        for (Fact f : facts) {
            List<String> templates = rel.get(f.relation()).allTemplates();
            for (int t : trained ? f.trained() : f.heldOut()) {
                out.add(new Probe(Relation.prompt(templates.get(t), f.subject()), f.object(), f.subject(), f.relation()));
            }
        }
        return out;
    }
}
