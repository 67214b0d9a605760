package io.embedforge.pipeline;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.LineMap;
import com.sun.source.tree.MethodTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Method lengths from javac's own parse tree (no type checking): a method counts from its first
 * line (annotations and signature) to its closing brace, lambdas and anonymous classes inside it
 * included.
 */
final class MethodLengths {
    /** One method: {@code Class#method} and its length in lines. */
    record Method(String name, long lines, String file) {
        @Override
        public String toString() {
            return name + " " + lines + " lines (" + file + ")";
        }
    }

    private MethodLengths() {}

    /** Every method under {@code sources} longer than {@code max} lines. */
    static List<Method> over(Path sources, int max) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(sources)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the tests on a JDK");
        }
        List<Method> out = new ArrayList<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            JavacTask task =
                    (JavacTask)
                            javac.getTask(
                                    null,
                                    fm,
                                    d -> {},
                                    List.of("-proc:none"),
                                    null,
                                    fm.getJavaFileObjectsFromPaths(files));
            SourcePositions pos = Trees.instance(task).getSourcePositions();
            for (CompilationUnitTree unit : task.parse()) {
                LineMap lines = unit.getLineMap();
                String file = Path.of(unit.getSourceFile().toUri()).getFileName().toString();
                String type = file.substring(0, file.length() - ".java".length());
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitMethod(MethodTree m, Void v) {
                        long first = lines.getLineNumber(pos.getStartPosition(unit, m));
                        long last = lines.getLineNumber(pos.getEndPosition(unit, m));
                        if (last - first + 1 > max) {
                            out.add(new Method(type + "#" + m.getName(), last - first + 1, file));
                        }
                        return super.visitMethod(m, v);
                    }
                }.scan(unit, null);
            }
        }
        return out;
    }
}
