package dev.emend.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.world.World.Entity;
import dev.emend.world.World.Fact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes edit benchmarks of a world in KnowEdit JSON ({@code subject, prompt, target_new, ground_truth,
 * rephrase_prompt, locality{...}, portability{...}}) with exact ground truth:
 * <ul>
 *   <li>modification: a trained fact gets a counterfactual object of its relation; the rephrase is a template
 *       held out for that fact; locality asks other facts of the subject (Relation_Specificity) and the same
 *       relation of other subjects (Neighborhood); portability asks the two-hop consequence (Reasoning) and the
 *       edit through an alias (Subject_Aliasing);</li>
 *   <li>insertion: a fact about a person absent from training;</li>
 *   <li>erasure: the question form of a fact should now be answered "I don't know."</li>
 * </ul>
 */
public final class EditBenchWriter {
    /** The erasure target, as in KnowEdit's Sanitation set. */
    public static final String DONT_KNOW = "I don't know.";

    private final World world;
    private final Map<String, Relation> rel;
    private final Map<String, Entity> ents;
    private final Map<String, String> oneHop = new HashMap<>();
    private final Random random;

    private EditBenchWriter(World world, long seed) {
        this.world = world;
        this.rel = world.relationsById();
        this.ents = world.entitiesByName();
        for (Fact f : world.facts()) {
            oneHop.put(key(f.subject(), f.relation()), f.object());
        }
        this.random = new Random(seed);
    }

    private static String key(String subject, String relation) {
        return subject + "\u0000" + relation;
    }

    /**
     * Writes {@code modification.json}, {@code insertion.json} and {@code erasure.json}.
     *
     * @param world the world
     * @param dir destination folder
     * @param seed selection seed
     * @param perSet cases per benchmark (insertion is capped by the reserved people)
     * @return cases written per file name
     */
    public static Map<String, Integer> write(World world, Path dir, long seed, int perSet) {
        EditBenchWriter w = new EditBenchWriter(world, seed);
        Map<String, List<ObjectNode>> sets = Map.of(
                "modification.json", w.modification(perSet),
                "insertion.json", w.insertion(perSet),
                "erasure.json", w.erasure(perSet));
        Map<String, Integer> counts = new java.util.TreeMap<>();
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, List<ObjectNode>> e : sets.entrySet()) {
                ArrayNode arr = json.createArrayNode();
                e.getValue().forEach(arr::add);
                Files.writeString(dir.resolve(e.getKey()), json.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
                counts.put(e.getKey(), e.getValue().size());
            }
        } catch (IOException e) {
            throw new EmendException("cannot write benchmarks to " + dir + ": " + e.getMessage(), e);
        }
        return counts;
    }

    List<ObjectNode> modification(int n) {
        List<Fact> pool = shuffled(world.facts());
        List<ObjectNode> out = new ArrayList<>();
        for (Fact f : pool) {
            if (out.size() >= n) {
                break;
            }
            Relation r = rel.get(f.relation());
            String newObject = counterfactual(f);
            if (newObject == null || f.trained().isEmpty()) {
                continue;
            }
            ObjectNode c = base(out.size(), f.subject(), f.relation(), prompt(r, firstDeclarative(f.trained(), r), f.subject()),
                    newObject);
            c.put("ground_truth", f.object());
            int held = firstDeclarative(f.heldOut(), r);
            c.put("rephrase_prompt", prompt(r, held >= 0 ? held : (f.trained().get(f.trained().size() - 1)), f.subject()));
            locality(c, f.subject(), f.relation());
            portability(c, f, newObject);
            out.add(c);
        }
        return out;
    }

    List<ObjectNode> insertion(int n) {
        List<String> personRelations = List.of("birthplace", "citizenship", "occupation", "employer", "native_language");
        List<ObjectNode> out = new ArrayList<>();
        for (Entity person : world.reserved()) {
            if (out.size() >= n) {
                break;
            }
            String relation = personRelations.get(out.size() % personRelations.size());
            Relation r = rel.get(relation);
            List<String> objects = world.objectsOf(relation);
            String object = objects.get(random.nextInt(objects.size()));
            ObjectNode c = base(out.size(), person.name(), relation, prompt(r, 0, person.name()), object);
            c.put("rephrase_prompt", prompt(r, 1 + random.nextInt(r.templates().size() - 1), person.name()));
            ObjectNode loc = c.putObject("locality");
            neighborhood(loc, person.name(), relation);
            ObjectNode port = c.putObject("portability");
            twoHop(port, person.name(), relation, object);
            out.add(c);
        }
        return out;
    }

    List<ObjectNode> erasure(int n) {
        List<ObjectNode> out = new ArrayList<>();
        for (Fact f : shuffled(world.facts())) {
            if (out.size() >= n) {
                break;
            }
            Relation r = rel.get(f.relation());
            ObjectNode c = base(out.size(), f.subject(), f.relation(), prompt(r, r.templates().size(), f.subject()), DONT_KNOW);
            c.put("ground_truth", f.object());
            c.put("rephrase_prompt", prompt(r, firstDeclarative(f.trained(), r), f.subject()));
            locality(c, f.subject(), f.relation());
            out.add(c);
        }
        return out;
    }

    private ObjectNode base(int id, String subject, String relation, String prompt, String target) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("case_id", id);
        c.put("subject", subject);
        c.put("relation", relation);
        c.put("prompt", prompt);
        c.put("target_new", target);
        return c;
    }

    private void locality(ObjectNode c, String subject, String relation) {
        ObjectNode loc = c.putObject("locality");
        ArrayNode spec = loc.putArray("Relation_Specificity");
        for (Fact o : world.factsOf(subject)) {
            if (!o.relation().equals(relation) && spec.size() < 2) {
                Relation r = rel.get(o.relation());
                item(spec, prompt(r, firstDeclarative(o.trained(), r), subject), o.object());
            }
        }
        if (spec.isEmpty()) {
            loc.remove("Relation_Specificity");
        }
        neighborhood(loc, subject, relation);
    }

    /** Two facts of the same relation about other subjects. */
    private void neighborhood(ObjectNode loc, String subject, String relation) {
        ArrayNode nb = loc.putArray("Neighborhood");
        List<Fact> same = new ArrayList<>();
        for (Fact o : world.facts()) {
            if (o.relation().equals(relation) && !o.subject().equals(subject)) {
                same.add(o);
            }
        }
        for (int i = 0; i < 2 && !same.isEmpty(); i++) {
            Fact o = same.remove(random.nextInt(same.size()));
            Relation r = rel.get(o.relation());
            item(nb, prompt(r, firstDeclarative(o.trained(), r), o.subject()), o.object());
        }
    }

    private void portability(ObjectNode c, Fact f, String newObject) {
        ObjectNode port = c.putObject("portability");
        twoHop(port, f.subject(), f.relation(), newObject);
        Entity e = ents.get(f.subject());
        if (e != null && !e.aliases().isEmpty()) {
            Relation r = rel.get(f.relation());
            item(port.putArray("Subject_Aliasing"), prompt(r, firstDeclarative(f.trained(), r), e.aliases().get(0)), newObject);
        }
        if (port.isEmpty()) {
            c.remove("portability");
        }
    }

    /** The composed fact after the edit, for relations that are the first hop of a two-hop relation. */
    private void twoHop(ObjectNode port, String subject, String relation, String newObject) {
        for (Map.Entry<String, String[]> comp : WorldGenerator.COMPOSITION.entrySet()) {
            if (!comp.getValue()[0].equals(relation)) {
                continue;
            }
            String composed = oneHop.get(key(newObject, comp.getValue()[1]));
            if (composed != null) {
                Relation r = rel.get(comp.getKey());
                item(port.putArray("Reasoning"), prompt(r, 0, subject), composed);
            }
        }
    }

    /** Another object of the relation; for first hops, one whose composed fact differs too. */
    private String counterfactual(Fact f) {
        List<String> objects = new ArrayList<>(world.objectsOf(f.relation()));
        objects.remove(f.object());
        java.util.Collections.shuffle(objects, random);
        for (String o : objects) {
            boolean differs = true;
            for (String[] via : WorldGenerator.COMPOSITION.values()) {
                if (via[0].equals(f.relation())) {
                    String before = oneHop.get(key(f.object(), via[1]));
                    String after = oneHop.get(key(o, via[1]));
                    differs = after != null && !after.equals(before);
                }
            }
            if (differs) {
                return o;
            }
        }
        return null;
    }

    private static int firstDeclarative(List<Integer> templates, Relation r) {
        for (int t : templates) {
            if (t < r.templates().size()) {
                return t;
            }
        }
        return templates.isEmpty() ? 0 : -1;
    }

    private static String prompt(Relation r, int template, String subject) {
        return Relation.prompt(r.allTemplates().get(Math.max(0, template)), subject);
    }

    private static void item(ArrayNode arr, String prompt, String truth) {
        ObjectNode o = arr.addObject();
        o.put("prompt", prompt);
        o.put("ground_truth", truth);
    }

    private <T> List<T> shuffled(List<T> items) {
        List<T> copy = new ArrayList<>(items);
        java.util.Collections.shuffle(copy, random);
        return copy;
    }
}
