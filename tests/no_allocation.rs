//! The model core evaluates one parameter set without touching the heap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nexus_mc::config::Scenario;
use nexus_mc::model::{Model, Outputs, Param};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on unchanged to the system allocator, which
// upholds GlobalAlloc's contract; the counter touches no allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn evaluate_does_not_allocate() {
    let scenario = Scenario::load("kpmg-point").unwrap();
    let model = Model::new(&scenario.schedules);
    let mut out = Outputs::default();
    let variants = [
        scenario.point(),
        scenario.point().with(Param::After2035, 2.0),
        scenario
            .point()
            .with(Param::TaxMethod, 1.0)
            .with(Param::LastingSeed, 1.0),
    ];
    let before = ALLOCATIONS.with(Cell::get);
    for p in &variants {
        model.evaluate(p, &mut out);
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(after - before, 0, "Model::evaluate allocated");
    // The counter itself works: a Vec allocates.
    let v = vec![1u8; 16];
    assert!(ALLOCATIONS.with(Cell::get) > after, "{v:?}");
}
