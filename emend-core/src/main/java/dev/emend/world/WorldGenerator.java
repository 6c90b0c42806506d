package dev.emend.world;

import dev.emend.world.Relation.Kind;
import dev.emend.world.World.Entity;
import dev.emend.world.World.Fact;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Generates a {@link World}, deterministically from a seed: real countries with their capitals, official
 * languages, currencies and continents; fictional cities, people, companies and products; fifteen one-hop relations
 * with five paraphrases and a question each; three two-hop relations; aliases; generic sentences. Every fact is
 * trained in a subset of its templates and held out of at least one template that other facts of its relation are
 * trained in, so generalisation to paraphrases is measurable.
 */
public final class WorldGenerator {
    /**
     * How big a world to generate.
     *
     * @param countries real countries to use (at most {@link #COUNTRIES}'s size)
     * @param cities fictional cities
     * @param people fictional people
     * @param companies fictional companies
     * @param products fictional products
     * @param reserved extra people kept out of training, for insertion edits
     * @param generic generic sentences
     */
    public record Spec(int countries, int cities, int people, int companies, int products, int reserved, int generic) {
        /** @return the default world (about 600 subjects, 2,200 facts) */
        public static Spec standard() {
            return new Spec(39, 90, 320, 70, 60, 340, 3000);
        }

        /** @return a tiny world of about 20 subjects for smoke tests */
        public static Spec tiny() {
            return new Spec(6, 5, 6, 3, 2, 0, 40);
        }
    }

    /** Country, capital, official language, currency, continent. */
    static final String[][] COUNTRIES = {
        {"France", "Paris", "French", "euro", "Europe"},
        {"Germany", "Berlin", "German", "euro", "Europe"},
        {"Italy", "Rome", "Italian", "euro", "Europe"},
        {"Spain", "Madrid", "Spanish", "euro", "Europe"},
        {"Portugal", "Lisbon", "Portuguese", "euro", "Europe"},
        {"Netherlands", "Amsterdam", "Dutch", "euro", "Europe"},
        {"Greece", "Athens", "Greek", "euro", "Europe"},
        {"Poland", "Warsaw", "Polish", "zloty", "Europe"},
        {"Sweden", "Stockholm", "Swedish", "krona", "Europe"},
        {"Norway", "Oslo", "Norwegian", "krone", "Europe"},
        {"Denmark", "Copenhagen", "Danish", "krone", "Europe"},
        {"Finland", "Helsinki", "Finnish", "euro", "Europe"},
        {"Hungary", "Budapest", "Hungarian", "forint", "Europe"},
        {"Czechia", "Prague", "Czech", "koruna", "Europe"},
        {"Russia", "Moscow", "Russian", "ruble", "Europe"},
        {"Turkey", "Ankara", "Turkish", "lira", "Asia"},
        {"Japan", "Tokyo", "Japanese", "yen", "Asia"},
        {"China", "Beijing", "Mandarin", "yuan", "Asia"},
        {"India", "New Delhi", "Hindi", "rupee", "Asia"},
        {"Thailand", "Bangkok", "Thai", "baht", "Asia"},
        {"Vietnam", "Hanoi", "Vietnamese", "dong", "Asia"},
        {"Indonesia", "Jakarta", "Indonesian", "rupiah", "Asia"},
        {"South Korea", "Seoul", "Korean", "won", "Asia"},
        {"Iran", "Tehran", "Persian", "rial", "Asia"},
        {"Egypt", "Cairo", "Arabic", "pound", "Africa"},
        {"Kenya", "Nairobi", "Swahili", "shilling", "Africa"},
        {"Nigeria", "Abuja", "English", "naira", "Africa"},
        {"Morocco", "Rabat", "Arabic", "dirham", "Africa"},
        {"Ethiopia", "Addis Ababa", "Amharic", "birr", "Africa"},
        {"Ghana", "Accra", "English", "cedi", "Africa"},
        {"Brazil", "Brasilia", "Portuguese", "real", "South America"},
        {"Argentina", "Buenos Aires", "Spanish", "peso", "South America"},
        {"Peru", "Lima", "Spanish", "sol", "South America"},
        {"Chile", "Santiago", "Spanish", "peso", "South America"},
        {"Mexico", "Mexico City", "Spanish", "peso", "North America"},
        {"Canada", "Ottawa", "English", "dollar", "North America"},
        {"United States", "Washington", "English", "dollar", "North America"},
        {"Australia", "Canberra", "English", "dollar", "Oceania"},
        {"New Zealand", "Wellington", "English", "dollar", "Oceania"},
    };

    static final String[] FIRST_NAMES = {"Mirela", "Tomas", "Anika", "Oskar", "Lena", "Marco", "Ingrid", "Pavel",
        "Sofia", "Jonas", "Clara", "Emil", "Nadia", "Felix", "Greta", "Hugo", "Irina", "Lukas", "Maja", "Nils",
        "Olga", "Pablo", "Rosa", "Stefan", "Talia", "Viktor", "Wanda", "Yuri", "Zora", "Anton", "Berta", "Carl",
        "Dina", "Erik", "Fiona", "Gustav", "Hanna", "Igor", "Julia", "Karl", "Lidia", "Milan", "Nora", "Otto",
        "Petra", "Rafael", "Selma", "Teodor", "Ulla", "Vera"};
    static final String[] OCCUPATIONS = {"chemist", "painter", "pilot", "surgeon", "violinist", "journalist",
        "botanist", "lawyer", "photographer", "sculptor", "geologist", "teacher", "nurse", "diplomat", "chef",
        "baker", "dentist", "pharmacist", "carpenter", "translator"};
    static final Set<String> DOCTORS = Set.of("chemist", "surgeon", "botanist", "geologist", "dentist", "pharmacist");
    static final String[] INDUSTRIES = {"software", "steel", "shipping", "pharmaceuticals", "banking", "mining",
        "publishing", "robotics", "textiles", "furniture", "tourism", "logistics", "chemicals", "media", "food"};
    static final String[] CATEGORIES = {"smartphone", "tractor", "laptop", "camera", "drone", "bicycle", "kettle",
        "headset", "printer", "scooter", "telescope", "blender"};
    static final String[] COMPANY_SUFFIXES = {"Systems", "Industries", "Group", "Labs", "Works", "Dynamics",
        "Holdings", "Motors", "Foods", "Media"};

    private static final String[] ONSETS = {"B", "D", "F", "G", "H", "K", "L", "M", "N", "P", "R", "S", "T", "V",
        "W", "Z", "Br", "Dr", "Kr", "St", "Tr", "Gr", "Fl", "Sk"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ei", "ou", "ar", "el"};
    private static final String[] CODAS = {"n", "r", "l", "s", "k", "m", "d", "v", "rt", "nd", "sk", "lm", "th"};
    private static final String[] SURNAME_ENDS = {"", "er", "en", "ov", "ski", "son", "ard", "ell", "is", "ane"};
    private static final String[] CITY_ENDS = {"holm", "ford", "ara", "burg", "vik", "dale", "port", "mere", "gard",
        "ton", "ica", "ano"};
    private static final String[] BRAND_ENDS = {"ex", "ion", "ora", "ix", "antis", "ova", "elle", "ium"};
    private static final String[] PRODUCT_ENDS = {"o", "a", "ix", "on", "us", "ia"};

    /** The one-hop relations, five paraphrases and a question each. */
    public static List<Relation> relations() {
        return List.of(
            new Relation("capital", Kind.COUNTRY, Kind.CITY, List.of("The capital of {s} is {o}.",
                    "{s}'s capital is {o}.", "{s} has its capital in {o}.", "The capital city of {s} is {o}.",
                    "The seat of government of {s} is {o}."), "What is the capital of {s}? {o}."),
            new Relation("official_language", Kind.COUNTRY, Kind.LANGUAGE, List.of(
                    "The official language of {s} is {o}.", "In {s}, the official language is {o}.",
                    "People in {s} speak {o}.", "{s}'s official language is {o}.", "The language of {s} is {o}."),
                    "What language is spoken in {s}? {o}."),
            new Relation("currency", Kind.COUNTRY, Kind.CURRENCY, List.of("The currency of {s} is the {o}.",
                    "{s} uses the {o}.", "In {s}, people pay with the {o}.", "The official currency of {s} is the {o}.",
                    "{s}'s currency is the {o}."), "What currency does {s} use? The {o}."),
            new Relation("continent", Kind.COUNTRY, Kind.CONTINENT, List.of("{s} is situated in {o}.",
                    "{s} is a country in {o}.", "{s} lies in {o}.", "The continent of {s} is {o}.",
                    "{s} belongs to the continent of {o}."), "On which continent is {s}? {o}."),
            new Relation("city_country", Kind.CITY, Kind.COUNTRY, List.of("{s} is a city in {o}.",
                    "{s} is located in {o}.", "The city of {s} lies in {o}.", "{s} belongs to {o}.",
                    "{s} is part of {o}."), "In which country is {s}? {o}."),
            new Relation("birthplace", Kind.PERSON, Kind.CITY, List.of("{s} was born in {o}.",
                    "The birthplace of {s} is {o}.", "The city where {s} was born is {o}.", "{s}'s place of birth is {o}.",
                    "{s} came into the world in {o}."), "Where was {s} born? {o}."),
            new Relation("citizenship", Kind.PERSON, Kind.COUNTRY, List.of("{s} is a citizen of {o}.",
                    "{s} holds citizenship of {o}.", "{s} has the nationality of {o}.",
                    "The country of citizenship of {s} is {o}.", "{s} carries a passport of {o}."),
                    "Which country is {s} a citizen of? {o}."),
            new Relation("occupation", Kind.PERSON, Kind.OCCUPATION, List.of("{s} works as a {o}.",
                    "{s} earns a living as a {o}.", "The occupation of {s} is {o}.", "{s}'s profession is {o}.",
                    "By trade, {s} is a {o}."), "What is the job of {s}? {o}."),
            new Relation("employer", Kind.PERSON, Kind.COMPANY, List.of("{s} works for {o}.",
                    "{s} is employed by {o}.", "The employer of {s} is {o}.", "{s} has a job at {o}.",
                    "{s} is on the staff of {o}."), "Who employs {s}? {o}."),
            new Relation("native_language", Kind.PERSON, Kind.LANGUAGE, List.of("The native language of {s} is {o}.",
                    "{s}'s mother tongue is {o}.", "{s} grew up speaking {o}.", "The first language of {s} is {o}.",
                    "{s} speaks {o} natively."), "What is the native language of {s}? {o}."),
            new Relation("headquarters", Kind.COMPANY, Kind.CITY, List.of("{s} is headquartered in {o}.",
                    "The headquarters of {s} are in {o}.", "{s} has its head office in {o}.", "{s} is based in {o}.",
                    "The main office of {s} is located in {o}."), "Where is {s} headquartered? {o}."),
            new Relation("founder", Kind.COMPANY, Kind.PERSON, List.of("{s} was founded by {o}.",
                    "The founder of {s} is {o}.", "{s} was established by {o}.", "{s} was started by {o}.",
                    "The company {s} was created by {o}."), "Who founded {s}? {o}."),
            new Relation("industry", Kind.COMPANY, Kind.INDUSTRY, List.of("{s} operates in the {o} industry.",
                    "{s} is a {o} company.", "The industry of {s} is {o}.", "{s} does business in {o}.",
                    "{s} makes its money in {o}."), "What industry is {s} in? {o}."),
            new Relation("manufacturer", Kind.PRODUCT, Kind.COMPANY, List.of("{s} is made by {o}.",
                    "{s} is manufactured by {o}.", "The maker of {s} is {o}.", "{s} is produced by {o}.",
                    "{s} was developed by {o}."), "Who makes {s}? {o}."),
            new Relation("category", Kind.PRODUCT, Kind.CATEGORY, List.of("{s} is a {o}.", "Shoppers know {s} as a {o}.",
                    "The {s} is a popular {o}.", "{s} is sold as a {o}.", "{s} belongs to the {o} category."),
                    "What kind of product is {s}? {o}."));
    }

    /** The two-hop relations: (relation, via one-hop relation, then one-hop relation of the intermediate). */
    public static List<Relation> twoHopRelations() {
        return List.of(
            new Relation("birth_country", Kind.PERSON, Kind.COUNTRY, List.of("{s}'s country of birth is {o}.",
                    "The country where {s} was born is {o}."), "In which country was {s} born? {o}."),
            new Relation("employer_city", Kind.PERSON, Kind.CITY, List.of("The company {s} works for is based in {o}.",
                    "The city of {s}'s employer is {o}."), "In which city is the employer of {s}? {o}."),
            new Relation("maker_city", Kind.PRODUCT, Kind.CITY, List.of("The company that makes {s} is based in {o}.",
                    "The city of {s}'s maker is {o}."), "In which city is the maker of {s}? {o}."));
    }

    /** One-hop relations each two-hop relation composes. */
    public static final Map<String, String[]> COMPOSITION = Map.of(
            "birth_country", new String[] {"birthplace", "city_country"},
            "employer_city", new String[] {"employer", "headquarters"},
            "maker_city", new String[] {"manufacturer", "headquarters"});

    private final Random random;
    private final Set<String> usedWords = new HashSet<>();

    private WorldGenerator(long seed) {
        this.random = new Random(seed);
    }

    /**
     * Generates a world.
     *
     * @param seed the seed; the same seed and spec give the same world
     * @param spec sizes
     * @return the world
     */
    public static World generate(long seed, Spec spec) {
        return new WorldGenerator(seed).build(seed, spec);
    }

    private World build(long seed, Spec spec) {
        for (String[] c : COUNTRIES) {
            for (String part : c) {
                Collections.addAll(usedWords, part.split(" "));
            }
        }
        Collections.addAll(usedWords, FIRST_NAMES);
        List<String[]> countries = new ArrayList<>(List.of(COUNTRIES).subList(0, Math.min(spec.countries(), COUNTRIES.length)));
        List<String> cities = uniqueNames(spec.cities(), () -> syllable() + pick(CITY_ENDS));
        List<String> surnames = uniqueNames(spec.people() + spec.reserved(), () -> capitalize(syllable() + pick(SURNAME_ENDS)));
        List<String> brands = uniqueNames(spec.companies(), () -> syllable() + pick(BRAND_ENDS));
        List<String> productNames = uniqueNames(spec.products(), () -> syllable() + pick(PRODUCT_ENDS));

        List<Entity> entities = new ArrayList<>();
        List<Fact> facts = new ArrayList<>();
        Map<String, Relation> rel = new LinkedHashMap<>();
        relations().forEach(r -> rel.put(r.id(), r));
        List<String> countryNames = new ArrayList<>();
        for (String[] c : countries) {
            countryNames.add(c[0]);
            entities.add(new Entity(c[0], Kind.COUNTRY, List.of()));
            facts.add(fact(rel.get("capital"), c[0], c[1]));
            facts.add(fact(rel.get("official_language"), c[0], c[2]));
            facts.add(fact(rel.get("currency"), c[0], c[3]));
            facts.add(fact(rel.get("continent"), c[0], c[4]));
        }
        for (String city : cities) {
            entities.add(new Entity(city, Kind.CITY, List.of()));
            facts.add(fact(rel.get("city_country"), city, pick(countryNames)));
        }
        List<String> companyNames = new ArrayList<>();
        Map<String, String> companyAlias = new LinkedHashMap<>();
        for (String brand : brands) {
            String name = brand + " " + pick(COMPANY_SUFFIXES);
            companyNames.add(name);
            companyAlias.put(name, brand);
        }
        List<String> languages = distinct(countries, 2);
        List<String> people = new ArrayList<>();
        for (int i = 0; i < spec.people(); i++) {
            String first = FIRST_NAMES[i % FIRST_NAMES.length];
            String person = first + " " + surnames.get(i);
            people.add(person);
            String occupation = pick(OCCUPATIONS);
            List<String> aliases = new ArrayList<>();
            if (DOCTORS.contains(occupation)) {
                aliases.add("Dr. " + person);
            } else if (random.nextDouble() < 0.25) {
                aliases.add(first.charAt(0) + ". " + surnames.get(i));
            }
            entities.add(new Entity(person, Kind.PERSON, aliases));
            facts.add(fact(rel.get("birthplace"), person, pick(cities)));
            facts.add(fact(rel.get("citizenship"), person, pick(countryNames)));
            facts.add(fact(rel.get("occupation"), person, occupation));
            facts.add(fact(rel.get("employer"), person, pick(companyNames)));
            facts.add(fact(rel.get("native_language"), person, pick(languages)));
        }
        for (String company : companyNames) {
            entities.add(new Entity(company, Kind.COMPANY, List.of(companyAlias.get(company))));
            facts.add(fact(rel.get("headquarters"), company, pick(cities)));
            facts.add(fact(rel.get("founder"), company, pick(people)));
            facts.add(fact(rel.get("industry"), company, pick(INDUSTRIES)));
        }
        for (String product : productNames) {
            entities.add(new Entity(product, Kind.PRODUCT, List.of()));
            facts.add(fact(rel.get("manufacturer"), product, pick(companyNames)));
            facts.add(fact(rel.get("category"), product, pick(CATEGORIES)));
        }
        facts = withAliasTraining(facts, entities);
        List<Fact> twoHop = twoHop(facts);
        List<Entity> reserved = new ArrayList<>();
        for (int i = 0; i < spec.reserved(); i++) {
            String first = FIRST_NAMES[(i * 7 + 3) % FIRST_NAMES.length];
            reserved.add(new Entity(first + " " + surnames.get(spec.people() + i), Kind.PERSON, List.of()));
        }
        List<String> generic = generic(spec.generic());
        List<Relation> allRelations = new ArrayList<>(relations());
        allRelations.addAll(twoHopRelations());
        return new World(seed, allRelations, entities, facts, twoHop, reserved, generic);
    }

    /** Holds out one declarative template per fact (and the question with probability 0.3); trains the rest. */
    private Fact fact(Relation r, String subject, String object) {
        int n = r.templates().size();
        int held = random.nextInt(n);
        List<Integer> trained = new ArrayList<>();
        List<Integer> heldOut = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (i == held ? heldOut : trained).add(i);
        }
        (random.nextDouble() < 0.3 ? heldOut : trained).add(n); // the question form
        return new Fact(subject, r.id(), object, trained, heldOut, -1);
    }

    /** For about a third of the facts of aliased subjects, one trained template is also trained with the alias. */
    private List<Fact> withAliasTraining(List<Fact> facts, List<Entity> entities) {
        Set<String> aliased = new HashSet<>();
        entities.stream().filter(e -> !e.aliases().isEmpty()).forEach(e -> aliased.add(e.name()));
        List<Fact> out = new ArrayList<>();
        for (Fact f : facts) {
            if (aliased.contains(f.subject()) && random.nextDouble() < 0.34) {
                int t = f.trained().get(random.nextInt(f.trained().size()));
                out.add(new Fact(f.subject(), f.relation(), f.object(), f.trained(), f.heldOut(), t));
            } else {
                out.add(f);
            }
        }
        return out;
    }

    /** Composed facts; half the subjects train one of the two templates, the rest are held out entirely. */
    private List<Fact> twoHop(List<Fact> facts) {
        Map<String, String> oneHop = new LinkedHashMap<>();
        for (Fact f : facts) {
            oneHop.put(f.subject() + "\u0000" + f.relation(), f.object());
        }
        List<Fact> out = new ArrayList<>();
        for (Relation r : twoHopRelations()) {
            String[] via = COMPOSITION.get(r.id());
            for (Fact f : facts) {
                if (!f.relation().equals(via[0])) {
                    continue;
                }
                String object = oneHop.get(f.object() + "\u0000" + via[1]);
                if (object == null) {
                    continue;
                }
                boolean train = random.nextBoolean();
                int t = random.nextInt(r.templates().size());
                List<Integer> trained = train ? List.of(t) : List.of();
                List<Integer> heldOut = new ArrayList<>();
                for (int i = 0; i <= r.templates().size(); i++) {
                    if (!trained.contains(i)) {
                        heldOut.add(i);
                    }
                }
                out.add(new Fact(f.subject(), r.id(), object, trained, heldOut, -1));
            }
        }
        return out;
    }

    private List<String> generic(int n) {
        String[] who = {"The old farmer", "A young student", "The quiet neighbour", "My sister", "The tall man",
            "A small child", "The new teacher", "Our guide", "The tired driver", "A curious visitor"};
        String[] verb = {"walked to", "looked at", "talked about", "waited near", "painted", "cleaned", "visited",
            "forgot", "photographed", "repaired"};
        String[] what = {"the market", "the river", "the garden", "a red door", "the old bridge", "the library",
            "the station", "a wooden table", "the harbour", "the small church"};
        String[] when = {"in the morning.", "after lunch.", "during the storm.", "before dinner.", "on Sunday.",
            "with great care.", "for an hour.", "yesterday.", "in the rain.", "at night."};
        String[] unknown = {"Who painted the old bridge? I don't know.", "When asked about the storm, the guide said: I don't know.",
            "Where did the driver go? I don't know.", "What is behind the red door? I don't know."};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i % 25 == 24 ? unknown[random.nextInt(unknown.length)]
                    : pick(who) + " " + pick(verb) + " " + pick(what) + " " + pick(when));
        }
        return out;
    }

    private List<String> distinct(List<String[]> countries, int column) {
        List<String> out = new ArrayList<>();
        for (String[] c : countries) {
            if (!out.contains(c[column])) {
                out.add(c[column]);
            }
        }
        return out;
    }

    private List<String> uniqueNames(int n, java.util.function.Supplier<String> make) {
        List<String> out = new ArrayList<>();
        int guard = 0;
        while (out.size() < n) {
            String s = capitalize(make.get());
            if (usedWords.add(s)) {
                out.add(s);
            }
            if (++guard > 1_000_000) {
                throw new IllegalStateException("cannot make " + n + " unique names");
            }
        }
        return out;
    }

    private String syllable() {
        return pick(ONSETS) + pick(VOWELS) + pick(CODAS);
    }

    private static String capitalize(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    private String pick(String[] items) {
        return items[random.nextInt(items.length)];
    }
}
