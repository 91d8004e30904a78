//! The size of a call's future, held by the caller's own future (and its task) for as long as
//! the call lasts, and copied when it is created and first awaited. Each request's state is
//! one heap block, so a call's future holds little more than a pointer to it and the call's
//! arguments: a regression (a layer that keeps the request, the body or an argument across
//! the `.await`) grows it past these bounds. Nothing is sent: the futures are created and
//! dropped without being polled.

use std::mem::size_of_val;

use credits_sdk::{AccountRef, CreateReservation, CreditsClient};

/// Each future's bound in bytes, on a 64-bit target with the current rustc, with room for
/// layout changes; at this commit they take about 500 (creating a reservation with the
/// facade, which keeps its argument), 230 (the facade's other calls), 240 and 90 (the
/// builders'). Before the generated `send` stopped keeping its request and body across the
/// `.await`, the builders' took 664 and 400, the facade's `create_reservation` 984.
#[test]
fn a_call_future_stays_small() {
    let client = CreditsClient::new("sk_test_future_sizes").unwrap();
    let facade_reserve = client.create_reservation(CreateReservation::new(AccountRef::id("acc_1"), 10));
    let facade_confirm = client.confirm_reservation("res_1", 7);
    let facade_balance = client.get_balance(AccountRef::id("acc_1"));
    let builders_reserve = client.api().create_reservation().send();
    let builders_confirm = client.api().confirm_reservation().send();
    let sizes = [
        ("facade create_reservation", size_of_val(&facade_reserve), 640),
        ("facade confirm_reservation", size_of_val(&facade_confirm), 320),
        ("facade get_balance", size_of_val(&facade_balance), 320),
        ("builders' create_reservation", size_of_val(&builders_reserve), 320),
        ("builders' confirm_reservation", size_of_val(&builders_confirm), 160),
    ];
    for (name, size, bound) in sizes {
        println!("{name}: {size} bytes (bound {bound})");
        assert!(size <= bound, "{name}'s future takes {size} bytes, more than {bound}");
    }
}
