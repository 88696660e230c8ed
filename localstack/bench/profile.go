package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
)

// profiler captures a CPU profile and the allocations of one measured
// section into dir/<name>.cpu.pprof and dir/<name>.allocs.pprof (with
// dir/<name>.allocs-base.pprof as the baseline to subtract).
type profiler struct {
	dir  string
	name string
	cpu  *os.File
}

func startProfile(dir, name string) (*profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: profile folder: %w", err)
	}
	p := &profiler{dir: dir, name: name}
	if err := p.writeAllocs("allocs-base"); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	p.cpu = f
	return p, nil
}

func (p *profiler) writeAllocs(kind string) error {
	// The allocs profile is as of the last completed GC; collect so the
	// snapshot (and the base subtracted from it) is current.
	runtime.GC()
	f, err := os.Create(filepath.Join(p.dir, p.name+"."+kind+".pprof"))
	if err != nil {
		return fmt.Errorf("bench: allocs profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("bench: allocs profile: %w", err)
	}
	return nil
}

// stop ends the capture and returns the top entries of both profiles as
// go tool pprof prints them.
func (p *profiler) stop(nodes int) (cpuTop, allocTop string, err error) {
	pprof.StopCPUProfile()
	p.cpu.Close()
	if err := p.writeAllocs("allocs"); err != nil {
		return "", "", err
	}
	base := filepath.Join(p.dir, p.name)
	cpuTop = pprofTop(nodes, base+".cpu.pprof")
	allocTop = pprofTop(nodes, "-sample_index=alloc_space", "-base", base+".allocs-base.pprof", base+".allocs.pprof")
	return cpuTop, allocTop, nil
}

// pprofTop runs go tool pprof -top and keeps the table (drops the header
// lines before "flat").
func pprofTop(nodes int, args ...string) string {
	cmd := exec.Command("go", append([]string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", nodes)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Sprintf("go tool pprof failed: %v\n%s", err, out.String())
	}
	s := out.String()
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Type:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}
