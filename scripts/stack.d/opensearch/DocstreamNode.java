// Starts a real single-node OpenSearch 2.19 from jars resolved on Maven Central.
// The modules the distribution would load from modules/ are passed as classpath
// plugins instead, the way OpenSearch's own test framework starts a node.
// The k-NN plugin (its jars unpacked into knn/) is loaded the same way.
// Usage: java -cp 'lib/*:knn/*:classes' DocstreamNode <home>   (config in <home>/config)
// With -Ddocstream.plugin=<class>@<folder>, one more plugin is loaded from the jars of
// <folder> in a class loader of its own (as the distribution loads a plugin): the
// secured node of the stack loads the security plugin so.

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.knn.plugin.KNNPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class DocstreamNode extends Node {
    private DocstreamNode(Environment environment) throws Exception {
        super(environment, plugins(), true);
    }

    private static Collection<Class<? extends Plugin>> plugins() throws Exception {
        List<Class<? extends Plugin>> plugins = new ArrayList<>(
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, MapperExtrasPlugin.class,
                    ReindexPlugin.class, PainlessPlugin.class, KNNPlugin.class));
        String extra = System.getProperty("docstream.plugin");
        if (extra != null && !extra.isEmpty()) {
            String[] parts = extra.split("@", 2);
            File[] jars = new File(parts[1]).listFiles((dir, name) -> name.endsWith(".jar"));
            if (jars == null || jars.length == 0) {
                throw new IllegalArgumentException("no jars in " + parts[1]);
            }
            URL[] urls = new URL[jars.length];
            for (int i = 0; i < jars.length; i++) {
                urls[i] = jars[i].toURI().toURL();
            }
            ClassLoader loader = new URLClassLoader(urls, DocstreamNode.class.getClassLoader());
            plugins.add(Class.forName(parts[0], true, loader).asSubclass(Plugin.class));
        }
        return plugins;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: DocstreamNode <home>");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        Settings settings = Settings.builder().put("path.home", home.toString()).build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), home.resolve("config"), () -> "docstream-node");
        LogConfigurator.registerErrorListener();
        LogConfigurator.configure(environment);

        Node node = new DocstreamNode(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "docstream-node-shutdown"));
        node.start();
        stopped.await();
    }
}
