package io.genorch.orchestrator;

import io.genorch.common.config.InvalidSettingsException;
import io.genorch.common.config.OrchConfig;
import io.genorch.common.config.Setting;
import io.genorch.common.config.Settings;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar genorch.jar [--demo | --help | --version]}: starts every verticle of the service in this process.
 * Exit codes: 0 after --help / --version, 1 when the start failed, 2 for an unknown argument or a wrong setting.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  static final String USAGE = "usage: java -jar genorch.jar [--demo | --help | --version]";
  static final int EXIT_USAGE = 2;

  private Main() {}

  public static void main(String[] args) {
    Integer exit = exitWithoutStarting(List.of(args), System.out, System.err);
    if (exit != null) {
      System.exit(exit);
    }
    OrchConfig config = OrchConfig.fromEnvironment();
    if (List.of(args).contains("--demo")) {
      config = config.with(Map.of(Settings.DEMO.name(), "true"));
    }
    // registered before the start, so a stop signal that arrives once the service runs always closes it in order
    // (Vert.x, then the database); one during the start leaves an embedded server the next start takes over
    AtomicReference<Orchestrator> running = new AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Orchestrator orchestrator = running.get();
      if (orchestrator != null) {
        LOG.info("Stopping");
        orchestrator.close().toCompletionStage().toCompletableFuture().join();
      }
    }, "genorch-shutdown"));
    try {
      LogFormat.apply(config.logFormat());
      running.set(Orchestrator.start(config).toCompletionStage().toCompletableFuture().join());
    } catch (RuntimeException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof InvalidSettingsException invalid) {
        // the user's to fix, and the message says how: no stack trace
        invalid.problems().forEach(problem -> LOG.error("genorch could not start: {}", problem));
        System.exit(EXIT_USAGE);
      }
      LOG.error("genorch could not start", cause);
      System.exit(1);
    }
  }

  /**
   * The arguments that end the process before anything starts: {@code --help} and {@code --version} print and give
   * 0; anything but {@code --demo} is refused with the usage line and 2. Null: start the service.
   */
  static Integer exitWithoutStarting(List<String> args, PrintStream out, PrintStream err) {
    for (String arg : args) {
      if (!List.of("--demo", "--help", "-h", "--version").contains(arg)) {
        err.println("genorch: unknown argument '" + arg + "'");
        err.println(USAGE);
        return EXIT_USAGE;
      }
    }
    if (args.contains("--help") || args.contains("-h")) {
      out.print(help());
      return 0;
    }
    if (args.contains("--version")) {
      out.println("genorch " + version());
      return 0;
    }
    return null;
  }

  /** The jar's version (its manifest's Implementation-Version); "development build" when run from classes. */
  static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version == null ? "development build" : version;
  }

  static String help() {
    StringBuilder text = new StringBuilder()
        .append("genorch ").append(version()).append(": orchestrates asynchronous AI video generation across providers.\n")
        .append(USAGE).append("\n\n")
        .append("  --demo      run the provider simulator in-process and point every provider at it (ORCH_DEMO=true)\n")
        .append("  --help      print this and exit\n")
        .append("  --version   print the version and exit\n\n")
        .append("Settings are environment variables (see README.md, Configuration):\n");
    for (Setting<?> setting : Settings.ALL) {
      text.append(String.format("  %-32s %s [default: %s]%n", setting.name(), setting.meaning(), setting.defaultText()));
    }
    text.append("Per provider, ORCH_PROVIDER_<ID>_<SUFFIX> with <ID> the provider id upper-cased, '-' as '_':\n");
    for (Settings.ProviderKey<?> key : Settings.PROVIDER_KEYS) {
      text.append(String.format("  %-32s %s%n", "..._" + key.suffix(), key.meaning()));
    }
    return text.toString();
  }
}
